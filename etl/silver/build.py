"""Silver: bronze documents not yet in silver -> silver/documents (normalised text + one column per signal).

Incremental and exactly once: the input is what bronze/documents gained since the version silver last processed
(Delta's Change Data Feed over the versions recorded in etl.progress), and each step's append is a Delta
transaction (app id, seq), so a rerun after a crash redoes the same step and Delta skips a write already made.
Nothing compares whole tables: the cost follows the new rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from etl import progress as stage_progress
from etl import tables
from etl.config import PipelineConfig
from etl.silver.signals import arrow_signal_mapper, signal_schema, spark_ddl
from etl.silver.urls import with_url_filters

SILVER_DOCUMENTS = "silver/documents"
# Added by etl.silver.urls (url_host is recomputed there from the URL).
URL_SIGNAL_COLUMNS = (
    "url_scheme", "url_domain", "url_tld", "url_path_depth", "url_hard_banned_hits", "url_soft_banned_hits",
    "url_banned", "url_blocklisted", "url_allowlisted", "url_blocklisted_effective", "url_banned_effective",
)
BRONZE_COLUMNS = ("doc_id", "url", "url_host", "crawl_id", "warc_date", "cc_languages", "content_length", "text")
SILVER_TABLE_PROPERTIES = {
    "delta.dataSkippingStatsColumns": "doc_id,language,warc_date,url_host,gopher_n_words",
    **tables.CDF,
}
SILVER_PARTITION_BY = ("crawl_id",)
STAGE = "silver"


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


def with_signals(bronze: DataFrame, cfg: PipelineConfig) -> DataFrame:
    """Bronze rows -> rows with normalised text and every Python-side signal (one vectorised pass)."""
    s = cfg.silver
    mapper = arrow_signal_mapper(s.languages, s.use_header_language, s.langid_max_chars, s.normalize)
    return bronze.select(*BRONZE_COLUMNS).mapInArrow(mapper, spark_ddl(signal_schema()))


def with_model_score(df: DataFrame, model_path: str | None) -> DataFrame:
    """The trained toxicity classifier's probability, or null when no model is configured."""
    if not model_path:
        return df.withColumn("tox_model_score", F.lit(None).cast(T.DoubleType()))
    from etl.silver.toxicity_model import score_with_model

    return score_with_model(df, model_path, text_col="text", out_col="tox_model_score")


def silver_columns() -> list[str]:
    """The silver table's column order (its schema contract)."""
    base = [f.name for f in signal_schema()]
    return base + list(URL_SIGNAL_COLUMNS) + ["tox_model_score", "silver_run_id", "scored_at"]


def build_silver_frame(spark: SparkSession, bronze: DataFrame, cfg: PipelineConfig, run_id: str) -> DataFrame:
    df = with_signals(bronze, cfg)
    df = with_url_filters(df, spark, "url", cfg.silver.url_blocklist, cfg.silver.url_allowlist,
                          ut1_categories=cfg.silver.url_blocklist_categories,
                          banned_allowlist_path=cfg.silver.url_banned_allowlist)
    df = with_model_score(df, cfg.silver.toxicity_model_path)
    df = df.withColumn("silver_run_id", F.lit(run_id)).withColumn(
        "scored_at", F.lit(datetime.now(timezone.utc)).cast("timestamp"))
    return df.select(*silver_columns())


def run_silver(spark: SparkSession, cfg: PipelineConfig, run_id: str,
               progress: Callable[[str], None] = print) -> SilverSummary:
    """Score every bronze document added since the last silver step (and finish a step a crash interrupted)."""
    lake, retries = cfg.lake, cfg.ingest.write_retries
    summary = SilverSummary()
    bronze_version = tables.version(spark, lake, tables.BRONZE_DOCUMENTS)
    processed, pending, seq = stage_progress.state(spark, lake, STAGE)
    if pending is not None:
        progress(f"silver: finishing step {pending.seq} (bronze versions {pending.after_version + 1}.."
                 f"{pending.upto_version}) that an earlier run left open")
        _run_step(spark, cfg, pending, run_id, summary, progress)
        processed, seq = pending.upto_version, pending.seq + 1
    if bronze_version is None or bronze_version <= processed:
        progress(f"silver: nothing new in bronze (processed up to version {processed})")
        return summary
    step = stage_progress.begin_step(spark, lake, stage_progress.Step(STAGE, seq, processed, bronze_version), run_id,
                                     retries)
    _run_step(spark, cfg, step, run_id, summary, progress)
    return summary


def _run_step(spark: SparkSession, cfg: PipelineConfig, step: stage_progress.Step, run_id: str,
              summary: SilverSummary, progress: Callable[[str], None]) -> None:
    lake, retries = cfg.lake, cfg.ingest.write_retries
    new = tables.changes_since(spark, lake, tables.BRONZE_DOCUMENTS, step.after_version, step.upto_version)
    n = new.count()
    summary.documents_in += n
    progress(f"silver: {n:,} new bronze documents to score (bronze versions {step.after_version + 1}.."
             f"{step.upto_version})")
    if n:
        path = tables.table_path(lake, SILVER_DOCUMENTS)
        frame = build_silver_frame(spark, new, cfg, run_id)
        tables.ensure_table(spark, path, frame.schema, SILVER_TABLE_PROPERTIES, retries, SILVER_PARTITION_BY)
        before = tables.version(spark, lake, SILVER_DOCUMENTS)
        # merge_schema: a lake written by an earlier version gains the signals added since (e.g.
        # obscenity_word_ratio); its older rows read them as null.
        tables.append(spark, path, frame, retries, txn=step.txn(SILVER_DOCUMENTS), merge_schema=True)
        after = tables.version(spark, lake, SILVER_DOCUMENTS)
        if after is not None and before is not None and after > before:
            written = tables.changes_since(spark, lake, SILVER_DOCUMENTS, before, after)
            for row in written.groupBy("language", "language_source").count().collect():
                key = row.language or "unknown"
                summary.languages[key] = summary.languages.get(key, 0) + row["count"]
                summary.language_sources[row.language_source] = (
                    summary.language_sources.get(row.language_source, 0) + row["count"])
    stage_progress.finish(spark, lake, step, run_id, retries)
