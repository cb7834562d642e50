"""The ``_runs`` table: one row per stage of every refresh (rows in and out, seconds), to watch a lake's refreshes
over time (a refresh costing more than the one before shows here first).

Observability, not data: a run killed before its row is written simply has no row, and the write is not one of the
pipeline's counted commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from pyspark.sql import SparkSession

from etl import tables
from etl.table_specs import RUNS, schema


@dataclass(frozen=True)
class StageRun:
    """One stage of a refresh: rows it read, rows it wrote (documents kept, for gold) and wall-clock seconds."""

    stage: str
    rows_in: int
    rows_out: int
    seconds: float


def record_run(spark: SparkSession, lake: str, run_id: str, stages: list[StageRun],
               progress: Callable[[str], None] = print) -> None:
    """Append this run's stage rows to ``<lake>/_runs``; a failure is reported, never raised (the data is in)."""
    now = datetime.now(timezone.utc)
    rows = [(run_id, s.stage, int(s.rows_in), int(s.rows_out), round(float(s.seconds), 3), now) for s in stages]
    try:
        path = tables.ensure(spark, lake, RUNS)
        spark.createDataFrame(rows, schema(RUNS)).write.format("delta").mode("append").save(path)
    except Exception as exc:
        progress(f"warning: could not record the run in {RUNS}: {tables.describe_error(exc)}")
