"""All per-document signals in one vectorised pass: normalise -> language -> quality -> toxicity.

One `mapInArrow` call per batch of bronze rows, so text crosses the JVM/Python boundary once; every heavy object
(langdetect profiles, lexicon regexes, normalisation tables) is built once per Python worker by the modules' own
caches. Scores only: thresholds live in gold.
"""

from __future__ import annotations

import dataclasses
from typing import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa

from etl.catalog import DOCUMENT_COLUMNS, LANGUAGE_SIGNALS, QUALITY_SIGNALS, TOXICITY_SIGNALS
from etl.silver.langid import cc_to_langdetect, detect_series, header_rules_out, normalise_lang
from etl.models.normalize import NormalizeOptions, normalize_series
from etl.silver.quality import quality_signals_frame
from etl.silver.toxicity import score_toxicity_series

ARROW_TYPES = {"int": pa.int32(), "bigint": pa.int64(), "double": pa.float64(), "boolean": pa.bool_(),
               "string": pa.string(), "timestamp": pa.timestamp("us", tz="UTC"), "array<string>": pa.list_(pa.string())}
# Bronze columns carried into silver unchanged (text is replaced by its normalised form).
PASSTHROUGH = tuple((c.name, ARROW_TYPES[c.type]) for c in DOCUMENT_COLUMNS if c.name != "text")
# The columns this pass declares, in order (the catalog describes each).
BUILTIN_SIGNALS = LANGUAGE_SIGNALS + QUALITY_SIGNALS + TOXICITY_SIGNALS
TOXICITY_TYPES = {c.name: c.type for c in TOXICITY_SIGNALS}
LANGUAGE_SOURCE_DETECTED, LANGUAGE_SOURCE_HEADER, LANGUAGE_SOURCE_NONE = "langdetect", "cc_header", "none"


def signal_schema() -> pa.Schema:
    """Arrow schema of what `compute_signals` returns (the silver table minus run metadata and Spark-side signals)."""
    return pa.schema([pa.field(c.name, ARROW_TYPES[c.type]) for c in DOCUMENT_COLUMNS + BUILTIN_SIGNALS])


def spark_ddl(schema: pa.Schema) -> str:
    names = {arrow: spark for spark, arrow in ARROW_TYPES.items()}
    return ", ".join(f"{f.name} {names[f.type]}" for f in schema)


def _header_language(codes) -> str | None:
    """Common Crawl's first (most likely) language, as a canonical code."""
    if codes is None or len(codes) == 0:
        return None
    return normalise_lang(cc_to_langdetect(codes[0]))


def compute_signals(pdf: pd.DataFrame, languages: frozenset[str], use_header: bool, max_chars: int,
                    opts: NormalizeOptions) -> pa.RecordBatch:
    """Signals for one batch of bronze rows (a pandas frame with the passthrough columns and `text`)."""
    n = len(pdf)
    texts = normalize_series(pdf["text"], opts)
    header_langs = [_header_language(c) for c in pdf["cc_languages"]]
    if languages and use_header:
        skip = np.array([header_rules_out(list(c) if c is not None else None, set(languages))
                         for c in pdf["cc_languages"]], dtype=bool)
    else:
        skip = np.zeros(n, dtype=bool)
    work = texts.where(~skip, "")  # ruled-out documents: cheap empty computations, nulled below
    lang = detect_series(work, max_chars)
    # A text too short to judge (etl/silver/langid.py) takes Common Crawl's language when there is one.
    has_header = np.array([h is not None for h in header_langs], dtype=bool)
    from_header = skip | (lang["too_short"].to_numpy() & has_header & use_header)
    langs = lang["lang"].where(~from_header, pd.Series(header_langs, index=lang.index))
    source = np.where(from_header, LANGUAGE_SOURCE_HEADER,
                      np.where(lang["lang"].isna(), LANGUAGE_SOURCE_NONE, LANGUAGE_SOURCE_DETECTED))
    quality = quality_signals_frame(work)
    tox = score_toxicity_series(work, langs.where(~skip, None))

    arrays: list[pa.Array] = [pa.array(pdf[name], type=t, from_pandas=True) for name, t in PASSTHROUGH]
    arrays += [
        pa.array(texts, pa.string(), from_pandas=True),
        pa.array(langs, pa.string(), from_pandas=True),
        pa.array(lang["lang_prob"].astype("float64"), pa.float64(), mask=from_header),
        pa.array(source, pa.string()),
        pa.array(header_langs, pa.string()),
    ]
    for signal in QUALITY_SIGNALS:
        arrays.append(pa.array(quality[signal.name].to_numpy(), ARROW_TYPES[signal.type], mask=skip))
    for name, kind in TOXICITY_TYPES.items():
        # Obscenity columns are null (NA/NaN) for a language without a list; object values keep ints exact.
        column = tox[name]
        null = skip | column.isna().to_numpy()
        arrays.append(pa.array(column.to_numpy(dtype=object), ARROW_TYPES[kind], mask=null))
    return pa.RecordBatch.from_arrays(arrays, schema=signal_schema())


def arrow_signal_mapper(languages: list[str], use_header: bool, max_chars: int, normalize: dict):
    """The function handed to `mapInArrow` over bronze rows."""
    wanted = frozenset(normalise_lang(code) or code for code in languages)
    opts = dataclasses.replace(NormalizeOptions(), **normalize)

    def mapper(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            if batch.num_rows:
                yield compute_signals(batch.to_pandas(), wanted, use_header, max_chars, opts)

    return mapper
