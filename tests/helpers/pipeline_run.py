"""Run the pipeline (or only bronze) in this process and print what the lake holds as one JSON line, so a test can
compare two runs that must not share a JVM: a classic session, or Spark Connect when SPARK_REMOTE is set.

    python tests/helpers/pipeline_run.py --lake DIR --input PATH... [--ingest-only] [--set key=value...]

The last stdout line is ``PIPELINE_STATS {json}``: row counts, quarantine reasons, sorted gold doc_ids and a digest of
the bronze rows without the columns that name where or when they were read (source_file, run id, timestamps).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from etl.table_specs import BRONZE_DOCUMENTS, BRONZE_INGEST_LOG, BRONZE_QUARANTINE

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

STATS_PREFIX = "PIPELINE_STATS "
# Columns of bronze/documents that identify a record's content, independent of the path it was read through.
BRONZE_CONTENT_COLUMNS = ("doc_id", "warc_record_id", "url", "warc_date", "crawl_id", "content_length",
                          "record_offset", "text")
# Small local-mode settings for a 2-core machine; SPARK_REMOTE ignores master and memory (the server owns them).
RUN_SETTINGS = {"spark.master": "local[2]", "spark.shuffle_partitions": 2, "spark.driver_memory": "1g",
                "spark.log_level": "ERROR"}


def _digest(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()


def lake_stats(spark, lake: str) -> dict:
    """What the comparisons need from a lake, read through whatever session ``spark`` is."""
    from pyspark.sql import functions as F

    from etl import tables
    from etl.table_specs import GOLD_DOCUMENTS, GOLD_DUPLICATES
    from etl.table_specs import SILVER_DOCUMENTS
    from etl.spark import is_connect

    def ids(name: str) -> list[str]:
        if not tables.exists(spark, lake, name):
            return []
        return sorted(r[0] for r in tables.read(spark, lake, name).select("doc_id").collect())

    bronze = tables.read(spark, lake, BRONZE_DOCUMENTS)
    content = bronze.select(F.to_json(F.struct(*BRONZE_CONTENT_COLUMNS)).alias("j"))
    quarantine = tables.read(spark, lake, BRONZE_QUARANTINE)
    reasons = {r.reason: r["count"] for r in quarantine.groupBy("reason").count().collect()}
    offsets = [f"{r.reason}@{r.record_offset}" for r in quarantine.select("reason", "record_offset").collect()]
    return {
        "connect": is_connect(spark),
        "bronze_rows": bronze.count(),
        "bronze_digest": _digest([r.j for r in content.collect()]),
        "quarantine_rows": quarantine.count(),
        "quarantine_reasons": dict(sorted(reasons.items())),
        "quarantine_digest": _digest(offsets),
        "ingest_log_rows": tables.read(spark, lake, BRONZE_INGEST_LOG).count(),
        "silver_rows": len(ids(SILVER_DOCUMENTS)),
        "gold_doc_ids": ids(GOLD_DOCUMENTS),
        "duplicates": len(ids(GOLD_DUPLICATES)),
    }


DROP_CHECK_TABLE = "_scratch/drop_check"
DROP_CHECK_ROWS = 3


def drop_check(spark, lake: str) -> dict:
    """tables.delete_keys through its MERGE form (key set above ``limit``) with an ``extra`` condition, then
    tables.drop_table, on a small table of its own: the doc_ids left after each."""
    from pyspark.sql import types as T

    from etl import tables

    schema = T.StructType([T.StructField("doc_id", T.StringType(), False), T.StructField("stage", T.StringType())])
    path = tables.table_path(lake, DROP_CHECK_TABLE)
    tables.ensure_table(spark, path, schema)
    rows = [(f"d{i}", "filter" if i == 0 else "dedup") for i in range(DROP_CHECK_ROWS)]
    tables.append(spark, path, spark.createDataFrame(rows, schema))
    keys = spark.createDataFrame([("d0",), ("d1",)], "doc_id string")
    tables.delete_keys(spark, path, keys, "doc_id", ("drop-check", 0), extra="stage != 'filter'", limit=1)
    after_delete = sorted(r[0] for r in tables.read(spark, lake, DROP_CHECK_TABLE).select("doc_id").collect())
    tables.drop_table(spark, lake, DROP_CHECK_TABLE)
    left = tables.exists(spark, lake, DROP_CHECK_TABLE)
    return {"after_delete": after_delete,
            "rows_after_drop": tables.read(spark, lake, DROP_CHECK_TABLE).count() if left else 0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", required=True)
    parser.add_argument("--input", nargs="+", required=True)
    parser.add_argument("--ingest-only", action="store_true", help="bronze only (no silver/gold)")
    parser.add_argument("--drop-check", action="store_true", help="also check tables.drop_table (see drop_check)")
    parser.add_argument("--conf", action="append", default=[], metavar="SPARK_KEY=VALUE",
                        help="a Spark conf for the session get_spark builds (e.g. fs.s3a settings)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="sets")
    args = parser.parse_args(argv)

    from etl import pipeline
    from etl.bronze.ingest import run_ingest
    from etl.config import load_config
    from etl.spark import get_spark, require_delta

    cfg = load_config(overrides={"lake": args.lake, **RUN_SETTINGS}, sets=args.sets)
    cfg.spark.extra_conf.update(item.split("=", 1) for item in args.conf)
    spark = get_spark(cfg.spark)
    require_delta(spark)
    if args.ingest_only:
        run_ingest(spark, cfg, args.input)
    else:
        pipeline.refresh(spark, cfg, args.input)
    from etl.heartbeat import spark_activity

    stats = lake_stats(spark, cfg.lake)
    stats["heartbeat_activity"] = spark_activity(spark)  # must not fail on Connect (no status tracker there)
    if args.drop_check:
        stats["drop_check"] = drop_check(spark, cfg.lake)
    print(STATS_PREFIX + json.dumps(stats, sort_keys=True), flush=True)
    spark.stop()
    return 0


def parse_stats(output: str) -> dict:
    """The stats JSON a run printed (its last PIPELINE_STATS line)."""
    line = [line for line in output.splitlines() if line.startswith(STATS_PREFIX)][-1]
    return json.loads(line[len(STATS_PREFIX):])


if __name__ == "__main__":
    sys.exit(main())
