"""Documents, words and tokens of a table's text, counted on the executors a whole Arrow batch at a time
(mapInArrow) with the tokenizer export.tokenizer names: what the run report's dataset card states for gold."""

from __future__ import annotations

from functools import partial
from typing import Iterator

import pyarrow as pa
from pyspark.sql import DataFrame, functions as F

from etl.export.manifest import WORDS_ONLY
from etl.export.records import TEXT_COLUMN
from etl.export.tokens import TokenizerSpec, count_method, load_tokenizer, token_counts, word_counts

COUNTS = ("documents", "words", "tokens")
COUNTS_SCHEMA = ", ".join(f"{name} long" for name in COUNTS)


def _batch_counts(batches: Iterator[pa.RecordBatch], tokenizer: TokenizerSpec | None) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        texts = batch.column(0).to_pylist()
        words = sum(word_counts(texts))
        tokens = sum(token_counts(texts, tokenizer)) if tokenizer is not None else words
        yield pa.RecordBatch.from_pydict({"documents": [batch.num_rows], "words": [words], "tokens": [tokens]})


def text_counts(df: DataFrame | None, tokenizer_setting: str) -> dict:
    """{documents, words, tokens, tokenizer, tokenizer_sha256, method} over df's text (zeros when df is None)."""
    tokenizer = load_tokenizer(tokenizer_setting)
    counts = dict.fromkeys(COUNTS, 0)
    if df is not None and TEXT_COLUMN in df.columns:
        row = (df.select(TEXT_COLUMN).mapInArrow(partial(_batch_counts, tokenizer=tokenizer), COUNTS_SCHEMA)
               .agg(*[F.sum(name).alias(name) for name in COUNTS]).first())
        counts = {name: int(row[name] or 0) for name in COUNTS}
    return counts | {"tokenizer": tokenizer.name if tokenizer is not None else WORDS_ONLY,
                     "tokenizer_sha256": tokenizer.sha256 if tokenizer is not None else None,
                     "method": count_method(tokenizer)}
