"""Silver benchmark parts that bench_quality does not cover: language-id cost per document and the saving of the
header-language shortcut (`--languages ar` skips langdetect and the other signals for documents whose Common
Crawl header rules them out)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pandas as pd

from bench.gen_wet import CACHE, generate
from etl.io.warc import Record, WarcReader
from etl.silver.langid import detect_series
from etl.models.normalize import NormalizeOptions
from etl.silver.signals import compute_signals

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample" / "CC-MAIN-2021-39-oscar63.warc.wet.gz"
ARABIC = ROOT / "data" / "arabic_sample"
REPEATS = 3


def wet_frame(paths: list[Path]) -> pd.DataFrame:
    rows = []
    for path in paths:
        with open(path, "rb") as fh:
            for rec in WarcReader(fh):
                if isinstance(rec, Record) and rec.type == "conversion":
                    langs = rec.headers.get("warc-identified-content-language")
                    rows.append({"doc_id": rec.headers["warc-record-id"], "url": rec.headers.get("warc-target-uri"),
                                 "url_host": None, "crawl_id": None, "warc_date": None,
                                 "cc_languages": langs.split(",") if langs else None, "content_length": len(rec.payload),
                                 "text": rec.payload.decode("utf-8", "replace")})
    df = pd.DataFrame(rows)
    df["warc_date"] = pd.to_datetime(df["warc_date"], utc=True)
    return df


def _best_time(fn, clock=time.perf_counter, repeats: int = REPEATS) -> float:
    """Fastest of ``repeats`` runs on `clock` (wall by default; time.process_time gives this process's CPU seconds,
    which other load on a shared machine distorts less)."""
    best = float("inf")
    for _ in range(repeats):
        t0 = clock()
        fn()
        best = min(best, clock() - t0)
    return best


def header_skip(pdf: pd.DataFrame, languages: frozenset[str]) -> dict:
    opts = NormalizeOptions()
    with_skip = _best_time(lambda: compute_signals(pdf, languages, True, 1000, opts))
    without = _best_time(lambda: compute_signals(pdf, languages, False, 1000, opts))
    return {"docs": len(pdf), "seconds_with_header_skip": round(with_skip, 3), "seconds_without": round(without, 3),
            "saving": round(1 - with_skip / without, 3)}


GENERATED_DOCS = 2000  # from the ingest bench's first generated WET file (real CC text re-cut to WET sizes)


SPARK_REPEATS = 2  # each Spark timing is the faster of two runs (the first also warms the JVM and codegen)


def model_on_off(frame: pd.DataFrame) -> dict:
    """Silver's whole Spark frame (every scorer) with the toxicity model off and on (the bundled model, windowed):
    the cost the default model adds, measured in the same session on the same documents."""
    from etl.catalog import DOCUMENT_COLUMNS
    from etl.config import BUNDLED_TOXICITY_MODEL, TOXICITY_MODEL_OFF, SparkConfig, load_config
    from etl.silver.build import build_silver_frame
    from etl.spark import get_spark

    spark = get_spark(SparkConfig(master="local[2]", app_name="bench-silver-model", shuffle_partitions=2))
    schema = ", ".join(f"{c.name} {c.type}" for c in DOCUMENT_COLUMNS)
    bronze = spark.createDataFrame(frame[[c.name for c in DOCUMENT_COLUMNS]], schema).repartition(2).cache()
    bronze.count()
    seconds = {}
    for label, path in (("off", TOXICITY_MODEL_OFF), ("on", BUNDLED_TOXICITY_MODEL)):
        cfg = load_config(overrides={"silver.toxicity_model_path": path})
        seconds[label] = _best_time(lambda: build_silver_frame(spark, bronze, cfg, "bench").write.format("noop")
                                    .mode("overwrite").save(), repeats=SPARK_REPEATS)
    bronze.unpersist()
    n = len(frame)
    return {"docs": n, "silver_frame_ms_per_doc_model_off": round(1000 * seconds["off"] / n, 2),
            "silver_frame_ms_per_doc_model_on": round(1000 * seconds["on"] / n, 2),
            "toxicity_model_ms_per_doc": round(1000 * (seconds["on"] - seconds["off"]) / n, 2),
            "model_on_over_off": round(seconds["on"] / seconds["off"], 3)}


def run() -> dict:
    sample = wet_frame([SAMPLE])
    arabic = wet_frame(sorted(ARABIC.glob("*.wet.gz")))
    generated = wet_frame(generate(CACHE / "wet", 1, 26.0)[:1]).head(GENERATED_DOCS)
    texts, gen_texts = sample["text"], generated["text"]
    t_lang = _best_time(lambda: detect_series(gen_texts, 1000))
    t_all = _best_time(lambda: compute_signals(generated, frozenset(), True, 1000, NormalizeOptions()))
    cpu_all = _best_time(lambda: compute_signals(generated, frozenset(), True, 1000, NormalizeOptions()),
                         clock=time.process_time)
    t_all_real = _best_time(lambda: compute_signals(sample, frozenset(), True, 1000, NormalizeOptions()))
    model = model_on_off(generated)
    return {
        # all_signals_* time the fused Python pass alone; the model runs in the JVM, so its cost is measured on
        # silver's whole Spark frame, off and on, and added to the per-document figure (issue 21: within 1.5x).
        "toxicity_model_on_vs_off": model,
        "all_signals_with_model_ms_per_doc": round(1000 * t_all / len(gen_texts) + model["toxicity_model_ms_per_doc"],
                                                   2),
        "langid_ms_per_doc": round(1000 * t_lang / len(gen_texts), 2),
        "all_signals_ms_per_doc": round(1000 * t_all / len(gen_texts), 2),
        "all_signals_docs_per_s_per_core": round(len(gen_texts) / t_all, 1),
        "all_signals_cpu_ms_per_doc": round(1000 * cpu_all / len(gen_texts), 2),
        "load_avg": os.getloadavg(),
        "docs": f"GENERATED: {len(gen_texts)} documents of real CC text re-cut to WET sizes, mean "
                f"{int(generated['content_length'].mean())} bytes",
        "all_signals_ms_per_doc_real_sample": round(1000 * t_all_real / len(texts), 2),
        "real_sample": f"{len(texts)} real CC-MAIN-2021-39 records, mean {int(sample['content_length'].mean())} bytes",
        "header_skip_arabic_profile_on_generated_arabic_set": header_skip(arabic, frozenset({"ar"})),
        "header_skip_arabic_profile_on_real_sample": header_skip(sample, frozenset({"ar"})),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
