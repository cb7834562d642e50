"""Silver: bronze documents not yet in silver -> silver/documents (normalised text + one column per signal).

Incremental and exactly once: the input is what bronze/documents gained since the version silver last processed
(Delta's Change Data Feed over the versions recorded in etl.progress), and each step's append is a Delta
transaction (app id, seq), so a rerun after a crash redoes the same step and Delta skips a write already made.
Nothing compares whole tables, so the cost follows the new rows, except in one recovery: when VACUUM has deleted
files of the range silver still had to read (a silver job broken for longer than housekeeping's retention), silver
says so and compares bronze with silver by doc_id instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from etl import progress as stage_progress
from etl import tables
from etl.config import PipelineConfig
from etl.catalog import RUN_COLUMNS
from etl.spark import persist_or_checkpoint, release
from etl.table_specs import SILVER_DOCUMENTS, STAGE_SILVER, STAGE_SOURCES
from etl.silver.scorers import Scorer, declared_columns, python_passes, scorers_for

STAGE = STAGE_SILVER
SOURCE = STAGE_SOURCES[STAGE]


@dataclass
class SilverSummary:
    documents_in: int = 0
    languages: dict[str, int] = field(default_factory=dict)
    language_sources: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        top = dict(sorted(self.languages.items(), key=lambda kv: -kv[1])[:10])
        return [
            "silver",
            f"  new documents scored   {self.documents_in:>10,}",
            f"  languages (top 10)     {top}",
            f"  language from          {self.language_sources}",
        ]


def silver_columns(scorers: list[Scorer] | None = None) -> list[str]:
    """The silver table's column order (its schema contract): document columns, every scorer's declared columns
    (the built-in scorers' by default), run metadata."""
    if scorers is None:
        scorers = scorers_for(PipelineConfig())
    return declared_columns(scorers) + [c.name for c in RUN_COLUMNS]


def build_silver_frame(spark: SparkSession, bronze: DataFrame, cfg: PipelineConfig, run_id: str,
                       held: list[DataFrame] | None = None) -> DataFrame:
    """Bronze rows -> silver rows: every scorer in turn (the Python ones in one Arrow pass, see python_passes),
    then run metadata; a select keeps the declared columns.

    With `held`, the frame is persisted (a local checkpoint on serverless) before the first scorer that re-reads
    its input (Scorer.materialise_input), which halves silver's time on the sample; the caller releases what `held`
    collects after its write. Without it nothing is persisted, so nothing is left cached.
    """
    scorers = scorers_for(cfg)
    df = bronze
    materialised = False
    for scorer in python_passes(scorers):
        if held is not None and scorer.materialise_input and not materialised:
            df, materialised = persist_or_checkpoint(df), True
            held.append(df)
        df = scorer.apply(df)
    df = df.withColumn("silver_run_id", F.lit(run_id)).withColumn(
        "scored_at", F.lit(datetime.now(timezone.utc)).cast("timestamp"))
    return df.select(*silver_columns(scorers))


def run_silver(spark: SparkSession, cfg: PipelineConfig, run_id: str,
               progress: Callable[[str], None] = print) -> SilverSummary:
    """Score every bronze document added since the last silver step (and finish a step a crash interrupted)."""
    summary = SilverSummary()
    stage_progress.run_incremental(spark, cfg.lake, STAGE, run_id,
                                   lambda step: _run_step(spark, cfg, step, run_id, summary, progress),
                                   progress, retries=cfg.ingest.write_retries)
    return summary


def _not_in_silver(spark: SparkSession, lake: str, upto: int) -> DataFrame:
    """Bronze as of `upto` without the documents silver already has: the keyed comparison of the recovery path."""
    bronze = tables.read_at(spark, lake, SOURCE, upto, "doc_id string")
    if not tables.exists(spark, lake, SILVER_DOCUMENTS):
        return bronze
    return bronze.join(tables.read(spark, lake, SILVER_DOCUMENTS).select("doc_id"), "doc_id", "left_anti")


def _new_rows(spark: SparkSession, cfg: PipelineConfig, step: stage_progress.Step, run_id: str,
              progress: Callable[[str], None]) -> tuple[stage_progress.Step, DataFrame, int]:
    """The step actually run, its bronze rows and their count: the Change Data Feed of versions (after, upto], or,
    when VACUUM deleted files of that range, bronze rows not in silver yet (as of `upto`; if that version's files
    are gone too, as of a new step up to bronze's latest version)."""
    lake = cfg.lake
    new = tables.changes_since(spark, lake, SOURCE, step.after_version, step.upto_version)
    try:
        return step, new, new.count()
    except Exception as exc:
        if not tables.is_missing_file(exc):
            raise
    progress(f"silver: bronze versions {step.after_version + 1}..{step.upto_version} can no longer be read from the "
             "Change Data Feed (VACUUM deleted files silver had not read); comparing bronze with silver by doc_id "
             "instead")
    new = _not_in_silver(spark, lake, step.upto_version)
    try:
        return step, new, new.count()
    except Exception as exc:
        if not tables.is_missing_file(exc):
            raise
    latest = tables.version(spark, lake, SOURCE)
    step = stage_progress.begin_step(
        spark, lake, stage_progress.Step(STAGE, stage_progress.next_seq(spark, lake, STAGE), step.after_version,
                                         latest), run_id, cfg.ingest.write_retries)
    new = _not_in_silver(spark, lake, step.upto_version)
    return step, new, new.count()


def _run_step(spark: SparkSession, cfg: PipelineConfig, step: stage_progress.Step, run_id: str,
              summary: SilverSummary, progress: Callable[[str], None]) -> stage_progress.Step:
    """Score one step's bronze rows; returns the step run (a recovery may replace `step`)."""
    lake, retries = cfg.lake, cfg.ingest.write_retries
    step, new, n = _new_rows(spark, cfg, step, run_id, progress)
    summary.documents_in += n
    progress(f"silver: {n:,} new bronze documents to score (bronze versions {step.after_version + 1}.."
             f"{step.upto_version})")
    if n:
        held: list[DataFrame] = []
        frame = build_silver_frame(spark, new, cfg, run_id, held)
        path = tables.ensure(spark, lake, SILVER_DOCUMENTS, frame.schema, retries)
        before = tables.version(spark, lake, SILVER_DOCUMENTS)
        # merge_schema: a lake written by an earlier version gains the signals added since (e.g.
        # obscenity_word_ratio); its older rows read them as null.
        try:
            tables.append(spark, path, frame, retries, txn=step.txn(SILVER_DOCUMENTS), merge_schema=True)
        finally:
            for df in held:
                release(df)
        after = tables.version(spark, lake, SILVER_DOCUMENTS)
        if after is not None and before is not None and after > before:
            written = tables.changes_since(spark, lake, SILVER_DOCUMENTS, before, after)
            for row in written.groupBy("language", "language_source").count().collect():
                key = row.language or "unknown"
                summary.languages[key] = summary.languages.get(key, 0) + row["count"]
                summary.language_sources[row.language_source] = (
                    summary.language_sources.get(row.language_source, 0) + row["count"])
    return step
