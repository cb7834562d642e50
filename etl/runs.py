"""The ``_runs`` table: one row per stage of every refresh (rows in and out, seconds), to watch a lake's refreshes
over time (a refresh costing more than the one before shows here first).

Observability, not data: a run killed before its row is written simply has no row, and the write is not one of the
pipeline's counted commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from pyspark.sql import SparkSession
from pyspark.sql import types as T

from etl import tables

RUNS = "_runs"
RUNS_SCHEMA = T.StructType([
    T.StructField("run_id", T.StringType(), False),
    T.StructField("stage", T.StringType(), False),
    T.StructField("rows_in", T.LongType(), True),
    T.StructField("rows_out", T.LongType(), True),
    T.StructField("seconds", T.DoubleType(), True),
    T.StructField("finished_at", T.TimestampType(), True),
])


@dataclass(frozen=True)
class StageRun:
    stage: str
    rows_in: int
    rows_out: int
    seconds: float


def record_run(spark: SparkSession, lake: str, run_id: str, stages: list[StageRun]) -> None:
    """Append this run's stage rows to ``<lake>/_runs``."""
    path = tables.table_path(lake, RUNS)
    tables.ensure_table(spark, path, RUNS_SCHEMA)
    now = datetime.now(timezone.utc)
    rows = [(run_id, s.stage, int(s.rows_in), int(s.rows_out), round(float(s.seconds), 3), now) for s in stages]
    spark.createDataFrame(rows, RUNS_SCHEMA).write.format("delta").mode("append").save(path)
