"""Cost of personal-data detection and benchmark decontamination (`make bench`, part "privacy").

- **PII per document**: etl.silver.pii.count_pii (5 kinds) and redact over generated documents (real Common Crawl
  lines re-cut, bench.gen_wet.real_lines), one process, against datatrove's PIIFormatter (FineWeb's e-mail + public
  IP replacement) on the same documents: the ratio says what the three extra kinds and the validation cost.
- **Decontamination join**: ``docs`` generated documents in Spark (ids -> text on the executors, nothing large on
  the driver), one in PLANT_EVERY carrying a verbatim GSM8K test question, joined against the bundled GSM8K +
  HumanEval index with etl.gold.decontamination.find_contamination: seconds for hashing alone and for the join, and
  the recall of planted copies (must be 1.0). The issue's target is 1M documents:
  ``python -m bench.bench_privacy --docs 1000000``; `make bench` runs DEFAULT_DOCS.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from bench.gen_wet import real_lines  # noqa: E402
from etl.silver.pii import count_pii, redact  # noqa: E402

PII_DOCS = 5000
DEFAULT_DOCS = 100_000
PLANT_EVERY = 1000  # one document in this many quotes a GSM8K question
MEAN_DOC_LINES = 30
SEED = 7


def _documents(n: int, seed: int = SEED) -> list[str]:
    lines, rng = real_lines(), random.Random(seed)
    return ["\n".join(rng.choice(lines) for _ in range(rng.randint(5, 2 * MEAN_DOC_LINES))) for _ in range(n)]


def pii_cost(n: int = PII_DOCS) -> dict:
    """Microseconds per document: our count and redaction vs datatrove's PIIFormatter."""
    docs = _documents(n)
    t0 = time.perf_counter()
    found = sum(sum(count_pii(d).values()) for d in docs)
    count_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for d in docs:
        redact(d)
    redact_s = time.perf_counter() - t0
    out = {"documents": n, "mean_chars": round(sum(map(len, docs)) / n), "pii_found": found,
           "count_us_per_doc": round(1e6 * count_s / n, 1), "redact_us_per_doc": round(1e6 * redact_s / n, 1)}
    try:
        from datatrove.data import Document
        from datatrove.pipeline.formatters import PIIFormatter
    except ImportError:
        return {**out, "datatrove": "not installed"}
    formatter = PIIFormatter()
    documents = [Document(text=d, id=str(i)) for i, d in enumerate(docs)]
    t0 = time.perf_counter()
    for doc in documents:
        formatter.format(doc.text)
    peer_s = time.perf_counter() - t0
    out["datatrove_pii_formatter_us_per_doc"] = round(1e6 * peer_s / n, 1)
    out["ratio_count_vs_datatrove"] = round(count_s / peer_s, 2)
    return out


def decontamination_join(docs: int = DEFAULT_DOCS, spark=None) -> dict:
    """Seconds to hash ``docs`` generated documents' n-grams and to join them with the bundled index; recall."""
    from pyspark.sql import functions as F, types as T

    from etl.config import PipelineConfig
    from etl.gold.decontamination import configured, document_ngrams, find_contamination, index_rows, read_records
    from etl.spark import get_spark

    spark = spark or get_spark()
    cfg = PipelineConfig()
    index = None
    for b in configured(cfg):
        one = index_rows(spark, b, "bench", cfg)
        index = one if index is None else index.unionByName(one)
    index = index.localCheckpoint(eager=True)
    lengths = sorted(r.words for r in index.select("words").distinct().collect())
    gsm8k = [b for b in configured(cfg) if b.name == "gsm8k"][0]
    questions = [r["question"] for r in read_records(gsm8k)]
    lines = real_lines()
    lines_b, questions_b = spark.sparkContext.broadcast(lines), spark.sparkContext.broadcast(questions)

    @F.pandas_udf(T.StringType())
    def make_text(ids: pd.Series) -> pd.Series:
        out = []
        for i in ids:
            rng = random.Random(int(i) * 7919 + SEED)
            parts = [rng.choice(lines_b.value) for _ in range(rng.randint(5, 2 * MEAN_DOC_LINES))]
            if i % PLANT_EVERY == 0:
                q = questions_b.value[(int(i) // PLANT_EVERY) % len(questions_b.value)]
                parts.insert(rng.randint(0, len(parts)), q)
            out.append("\n".join(parts))
        return pd.Series(out)

    # Generated once into Parquet, outside the measured time, and read back as gold reads silver from Delta: a
    # local checkpoint would hold every text in the one local JVM (1M documents are ~2.5 GB; it ran out of heap).
    scratch = tempfile.mkdtemp(prefix="bench-decontamination-")
    try:
        path = str(Path(scratch) / "documents")
        spark.range(docs).select(F.col("id").cast("string").alias("doc_id"), make_text("id").alias("text")) \
            .write.parquet(path)
        frame = spark.read.parquet(path)
        planted = (docs + PLANT_EVERY - 1) // PLANT_EVERY

        @F.pandas_udf(T.LongType())
        def count_hashes(texts: pd.Series) -> pd.Series:
            return pd.Series([len(h) for h in document_ngrams(list(texts), lengths)])

        t0 = time.perf_counter()
        hashes = frame.select(F.sum(count_hashes("text"))).first()[0]
        hash_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        found = find_contamination(frame, index, lengths).select("doc_id").distinct().collect()
        join_s = time.perf_counter() - t0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    found_ids = {r.doc_id for r in found}
    hit = sum(1 for i in range(0, docs, PLANT_EVERY) if str(i) in found_ids)
    return {"documents": docs, "planted": planted, "recall_planted": round(hit / planted, 4),
            "other_documents_flagged": len(found_ids) - hit, "index_ngrams": index.count(), "ngram_lengths": lengths,
            "document_ngram_hashes": int(hashes or 0), "hash_only_seconds": round(hash_s, 1),
            "join_seconds": round(join_s, 1), "join_us_per_doc": round(1e6 * join_s / docs, 1)}


def run(docs: int = DEFAULT_DOCS) -> dict:
    return {"pii": pii_cost(), "decontamination": decontamination_join(docs)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=DEFAULT_DOCS, help="generated documents for the join")
    parser.add_argument("--pii-only", action="store_true", help="only the single-process PII cost")
    args = parser.parse_args()
    result = {"pii": pii_cost()} if args.pii_only else run(args.docs)
    print(json.dumps(result, indent=2))
