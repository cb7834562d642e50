"""Bronze: WET files -> bronze/documents, bronze/quarantine, bronze/ingest_log, incrementally and exactly once.

Exactly once, per batch of files:
1. quarantine rows: insert-only MERGE on a hash of (file, offset, reason);
2. documents: insert-only MERGE on doc_id (derived from WARC-Record-ID);
3. ingest_log rows: appended last. A file counts as done once it has a log row with a final status.
A crash between steps leaves the files "not done"; the rerun parses them again and the MERGEs insert only what is
missing. Two runs at once: Delta's conflict detection makes the later MERGE retry, and the retry inserts nothing new.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from etl import schemas, tables
from etl.bronze.records import ENVELOPE_DDL, KIND_DOCUMENT, KIND_FILE, KIND_QUARANTINE, arrow_partition_parser
from etl.config import IngestConfig, PipelineConfig
from etl.io.sources import RetryPolicy, expand_inputs

# Statuses after which a file is never read again; unreachable/error files are retried by the next run.
DONE_STATUSES = ("ok", "partial", "empty")
# Long text stays out of Delta's per-file statistics: they would bloat the log and never help data skipping.
DOCUMENT_TABLE_PROPERTIES = {
    "delta.dataSkippingStatsColumns": "doc_id,source_file,crawl_id,warc_date,url_host,record_offset",
}


@dataclass
class IngestSummary:
    run_id: str
    files_given: int = 0
    files_already_done: int = 0
    files_processed: int = 0
    documents_loaded: int = 0
    quarantined: int = 0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    file_statuses: dict[str, int] = field(default_factory=dict)
    bytes_read: int = 0
    bytes_decompressed: int = 0

    def lines(self) -> list[str]:
        out = [
            f"ingest run {self.run_id}",
            f"  files given            {self.files_given:>10,}",
            f"  already ingested       {self.files_already_done:>10,}",
            f"  processed now          {self.files_processed:>10,}  {dict(sorted(self.file_statuses.items()))}",
            f"  documents loaded       {self.documents_loaded:>10,}",
            f"  quarantined            {self.quarantined:>10,}  {dict(sorted(self.quarantine_reasons.items()))}",
            f"  bytes read             {self.bytes_read:>10,}  ({self.bytes_decompressed:,} decompressed)",
        ]
        return out


def new_run_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]


def ensure_bronze_tables(spark: SparkSession, lake: str) -> None:
    tables.ensure_table(spark, tables.table_path(lake, tables.BRONZE_DOCUMENTS), schemas.BRONZE_DOCUMENTS,
                        DOCUMENT_TABLE_PROPERTIES)
    tables.ensure_table(spark, tables.table_path(lake, tables.BRONZE_QUARANTINE), schemas.BRONZE_QUARANTINE)
    tables.ensure_table(spark, tables.table_path(lake, tables.BRONZE_INGEST_LOG), schemas.BRONZE_INGEST_LOG)


def done_files(spark: SparkSession, lake: str) -> set[str]:
    """Files a previous run finished (small: one name per input file)."""
    log = tables.read(spark, lake, tables.BRONZE_INGEST_LOG)
    rows = log.where(F.col("status").isin(*DONE_STATUSES)).select("source_file").distinct().collect()
    return {r.source_file for r in rows}


def parse_files(spark: SparkSession, files: list[str], cfg: IngestConfig) -> DataFrame:
    """Envelope rows for `files`, one input file per Spark task (cc-pyspark's model)."""
    rdd = spark.sparkContext.parallelize([(f,) for f in files], max(1, len(files)))
    files_df = spark.createDataFrame(rdd, "source_file string")
    return files_df.mapInArrow(arrow_partition_parser(cfg), ENVELOPE_DDL)


def _quarantine_id(*cols) -> F.Column:
    return F.substring(F.sha2(F.concat_ws("|", *cols), 256), 1, 32)


def split_envelope(env: DataFrame, run_id: str, now: datetime) -> tuple[DataFrame, DataFrame, DataFrame]:
    """Envelope -> (documents, quarantine, ingest_log) frames shaped as the bronze schemas."""
    run = F.lit(run_id)
    stamp = F.lit(now).cast("timestamp")
    docs = env.where(F.col("kind") == KIND_DOCUMENT).select(
        *[F.col(c) for c in schemas.BRONZE_DOCUMENTS.fieldNames() if c not in ("ingest_run_id", "ingested_at")],
        run.alias("ingest_run_id"),
        stamp.alias("ingested_at"),
    )
    quarantine = env.where(F.col("kind") == KIND_QUARANTINE).select(
        _quarantine_id(F.col("source_file"), F.coalesce(F.col("record_offset").cast("string"), F.lit("-")),
                       F.col("reason")).alias("quarantine_id"),
        "source_file", "record_offset", "reason", "detail", "warc_record_id", "snippet",
        run.alias("ingest_run_id"), stamp.alias("quarantined_at"),
    )
    log = env.where(F.col("kind") == KIND_FILE).select(
        "source_file", run.alias("ingest_run_id"), "status", "records_total", "documents", "quarantined",
        "skipped_other_types", "bytes_read", "bytes_decompressed", "error", "started_at", "duration_s",
    )
    return docs, quarantine, log


def duplicate_copies(docs: DataFrame, existing: DataFrame) -> DataFrame:
    """(source_file, record_offset, _loaded_from) of document rows that repeat an already-kept WARC-Record-ID.

    Works on keys only, so no text moves: within the batch the first copy by (file, offset) is kept; a copy of a
    record that bronze already holds from another file is a duplicate too (`_loaded_from` names that file).
    """
    keys = docs.select("doc_id", "source_file", "record_offset")
    order = Window.partitionBy("doc_id").orderBy("source_file", "record_offset")
    ranked = keys.withColumn("_copy", F.row_number().over(order))
    later = ranked.where(F.col("_copy") > 1).select(
        "source_file", "record_offset", F.lit(None).cast("string").alias("_loaded_from"))
    firsts = ranked.where(F.col("_copy") == 1)
    loaded = existing.select("doc_id", F.col("source_file").alias("_loaded_from"))
    elsewhere = (
        firsts.join(loaded, "doc_id", "inner")
        .where(F.col("_loaded_from") != F.col("source_file"))
        .select("source_file", "record_offset", "_loaded_from")
    )
    return later.unionByName(elsewhere)


def duplicate_quarantine_rows(docs: DataFrame, copies: DataFrame, run_id: str, now: datetime) -> DataFrame:
    """Quarantine rows for duplicate copies, so no copy disappears without a trace."""
    dup = docs.join(copies, ["source_file", "record_offset"], "inner")
    return dup.select(
        _quarantine_id(F.col("source_file"), F.col("record_offset").cast("string"), F.lit("duplicate_record_id"))
        .alias("quarantine_id"),
        "source_file", "record_offset", F.lit("duplicate_record_id").alias("reason"),
        F.concat(F.lit("WARC-Record-ID already loaded"),
                 F.when(F.col("_loaded_from").isNotNull(), F.concat(F.lit(" from "), F.col("_loaded_from")))
                 .otherwise(F.lit(" from an earlier record in this batch"))).alias("detail"),
        "warc_record_id", F.substring("text", 1, 256).alias("snippet"),
        F.lit(run_id).alias("ingest_run_id"), F.lit(now).cast("timestamp").alias("quarantined_at"),
    )


def ingest_batch(spark: SparkSession, lake: str, files: list[str], cfg: IngestConfig, run_id: str,
                 summary: IngestSummary) -> None:
    """Parse and commit one batch of files (the unit of exactly-once); the text is parsed once and moved once."""
    now = datetime.now(timezone.utc)
    env = parse_files(spark, files, cfg).persist(StorageLevel.MEMORY_AND_DISK)
    copies = None
    try:
        docs, quarantine, log = split_envelope(env, run_id, now)
        log_rows = log.collect()  # one small row per file; also materialises the parse
        existing = tables.read(spark, lake, tables.BRONZE_DOCUMENTS)
        copies = duplicate_copies(docs, existing).persist(StorageLevel.MEMORY_AND_DISK)
        n_copies = copies.count()  # usually 0; cached and small, so the joins below can broadcast it
        keep = docs.join(copies, ["source_file", "record_offset"], "left_anti") if n_copies else docs
        all_quarantine = quarantine.unionByName(duplicate_quarantine_rows(docs, copies, run_id, now)) \
            if n_copies else quarantine
        reasons = {r["reason"]: r["n"] for r in all_quarantine.groupBy("reason").agg(F.count("*").alias("n")).collect()}
        tables.merge_insert_only(spark, tables.table_path(lake, tables.BRONZE_QUARANTINE), all_quarantine,
                                 ["quarantine_id"], cfg.write_retries)
        tables.merge_insert_only(spark, tables.table_path(lake, tables.BRONZE_DOCUMENTS), keep, ["doc_id"],
                                 cfg.write_retries)
        tables.append(spark, tables.table_path(lake, tables.BRONZE_INGEST_LOG),
                      spark.createDataFrame(log_rows, schemas.BRONZE_INGEST_LOG), cfg.write_retries)
    finally:
        env.unpersist()
        if copies is not None:
            copies.unpersist()
    for row in log_rows:
        summary.file_statuses[row.status] = summary.file_statuses.get(row.status, 0) + 1
        summary.bytes_read += row.bytes_read
        summary.bytes_decompressed += row.bytes_decompressed
        summary.documents_loaded += row.documents
    summary.documents_loaded -= reasons.get("duplicate_record_id", 0)
    for reason, n in reasons.items():
        summary.quarantine_reasons[reason] = summary.quarantine_reasons.get(reason, 0) + n
        summary.quarantined += n
    summary.files_processed += len(files)


def run_ingest(
    spark: SparkSession,
    cfg: PipelineConfig,
    inputs: list[str],
    progress: Callable[[str], None] = print,
    run_id: str | None = None,
) -> IngestSummary:
    """Ingest every input file not already done; returns the run's counts."""
    run_id = run_id or new_run_id()
    icfg = cfg.ingest
    policy = RetryPolicy(icfg.http_max_retries, icfg.http_backoff_base_s, icfg.http_backoff_max_s, icfg.http_timeout_s)
    files = expand_inputs(inputs, icfg.manifest_prefix, policy)
    summary = IngestSummary(run_id=run_id, files_given=len(files))
    ensure_bronze_tables(spark, cfg.lake)
    done = done_files(spark, cfg.lake)
    todo = [f for f in files if f not in done]
    summary.files_already_done = len(files) - len(todo)
    batches = [todo[i : i + icfg.files_per_batch] for i in range(0, len(todo), icfg.files_per_batch)]
    progress(f"bronze: {len(files)} input files, {summary.files_already_done} already ingested, "
             f"{len(todo)} to read in {len(batches)} batch(es)")
    for i, batch in enumerate(batches, 1):
        before = summary.documents_loaded
        ingest_batch(spark, cfg.lake, batch, icfg, run_id, summary)
        progress(f"bronze: batch {i}/{len(batches)}: {len(batch)} files, "
                 f"{summary.documents_loaded - before:,} documents, {summary.quarantined:,} quarantined so far")
    return summary
