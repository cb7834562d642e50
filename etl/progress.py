"""Stage progress: which source version each stage has processed, and the intent of a step in flight.

A stage step (silver from bronze, gold from silver) is: record an intent (source versions (after, upto] and the
versions of the tables it reads, pinned), do its writes as Delta transactions (app id, seq), record done. After a
crash the next run finds the intent without a done row and redoes exactly that step: it reads the pinned versions,
so it computes the same rows, and Delta skips every write that had already committed. New work is found from
versions, never by comparing whole tables, so a refresh with nothing new reads this small table and stops.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterable

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from etl import tables
from etl.table_specs import PROGRESS, STAGE_SOURCES, schema

STARTED, DONE, RESET = "started", "done", "reset"
# Steps of one stage write each table at most this many times, so (seq * WRITES_PER_STEP + k) is a unique,
# increasing Delta transaction version per table.
WRITES_PER_STEP = 8


@dataclass
class Step:
    stage: str
    seq: int
    after_version: int
    upto_version: int
    pinned: dict[str, int | None] = field(default_factory=dict)

    def txn(self, table: str, k: int = 0) -> tuple[str, int]:
        """Delta transaction id of this step's k-th write to `table`."""
        return f"{self.stage}:{table}", self.seq * WRITES_PER_STEP + k


def _rows(spark: SparkSession, lake: str, stage: str) -> list:
    if not tables.exists(spark, lake, PROGRESS):
        return []
    return tables.read(spark, lake, PROGRESS).where(F.col("stage") == stage).collect()


def state(spark: SparkSession, lake: str, stage: str) -> tuple[int, Step | None, int]:
    """(source version processed so far, the step in flight if a run stopped inside one, the next step's seq).

    One read gives all three: a run that saw no step in flight also numbers its own step from that same view, so
    two runs starting together either both finish the same open step or both begin the same seq (and Delta keeps
    one of the two intents; both then use its range).
    """
    all_rows = _rows(spark, lake, stage)
    next_seq = max((r.seq for r in all_rows), default=-1) + 1
    rows = all_rows
    last_reset = max((r.seq for r in rows if r.status == RESET), default=-1)
    rows = [r for r in rows if r.seq > last_reset]
    done = [r for r in rows if r.status == DONE]
    processed = max((r.upto_version for r in done), default=-1)
    last_seq = max((r.seq for r in rows), default=-1)
    if last_seq >= 0 and not any(r.seq == last_seq for r in done):
        r = next(r for r in rows if r.seq == last_seq)
        return processed, Step(stage, r.seq, r.after_version, r.upto_version, json.loads(r.pinned)), next_seq
    return processed, None, next_seq


def next_seq(spark: SparkSession, lake: str, stage: str) -> int:
    return state(spark, lake, stage)[2]


def begin_step(spark: SparkSession, lake: str, step: Step, run_id: str, retries: int = 5) -> Step:
    """Record `step`'s intent and return the intent that holds for its seq (another run's, if it began it first)."""
    begin(spark, lake, step, run_id, retries)
    for r in _rows(spark, lake, step.stage):
        if r.seq == step.seq and r.status == STARTED:
            return Step(step.stage, r.seq, r.after_version, r.upto_version, json.loads(r.pinned))
    return step  # pragma: no cover - the intent was just written


def _record(spark: SparkSession, lake: str, step: Step, status: str, run_id: str, retries: int) -> None:
    path = tables.ensure(spark, lake, PROGRESS)
    row = (step.stage, step.seq, status, step.after_version, step.upto_version, json.dumps(step.pinned, sort_keys=True),
           run_id, datetime.now(timezone.utc))
    tables.append(spark, path, spark.createDataFrame([row], schema(PROGRESS)), retries,
                  txn=(f"progress:{step.stage}:{status}", step.seq))


def begin(spark: SparkSession, lake: str, step: Step, run_id: str, retries: int = 5) -> None:
    _record(spark, lake, step, STARTED, run_id, retries)


def finish(spark: SparkSession, lake: str, step: Step, run_id: str, retries: int = 5) -> None:
    _record(spark, lake, step, DONE, run_id, retries)


def reset(spark: SparkSession, lake: str, stage: str, run_id: str, retries: int = 5) -> None:
    """Start a stage over from source version 0 (its tables are being rebuilt); seq numbers keep increasing."""
    step = Step(stage, next_seq(spark, lake, stage), -1, -1)
    _record(spark, lake, step, RESET, run_id, retries)


def run_incremental(spark: SparkSession, lake: str, stage: str, run_id: str, run_step: Callable[[Step], Step],
                    progress: Callable[[str], None] = print, pin: Iterable[str] = (),
                    before_new: Callable[[], None] | None = None, retries: int = 5) -> None:
    """The stage protocol, once for every stage: finish a step a crash left open, then take what the stage's source
    (etl.table_specs.STAGE_SOURCES) gained since the version processed as one new step: record its intent with the
    versions of the `pin` tables it reads, run it, mark it done.

    `run_step(step)` does the step's writes (each a Delta transaction of the step) and returns the step it ran (a
    recovery may widen it). `before_new` runs between the two (gold re-checks kept documents there).
    """
    source = STAGE_SOURCES[stage]
    processed, pending, seq = state(spark, lake, stage)
    if pending is not None:
        progress(f"{stage}: finishing step {pending.seq} ({source} versions {pending.after_version + 1}.."
                 f"{pending.upto_version}) that an earlier run left open")
        done = run_step(pending)
        finish(spark, lake, done, run_id, retries)
        processed, seq = done.upto_version, done.seq + 1
    if before_new is not None:
        before_new()
    latest = tables.version(spark, lake, source)
    if latest is None or latest <= processed:
        progress(f"{stage}: nothing new in {source} (processed up to version {processed})")
        return
    pinned = {name: tables.version(spark, lake, name) for name in pin}
    step = begin_step(spark, lake, Step(stage, seq, processed, latest, pinned), run_id, retries)
    finish(spark, lake, run_step(step), run_id, retries)
