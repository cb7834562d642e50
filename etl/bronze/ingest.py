"""Bronze: WET files -> bronze/documents, bronze/quarantine, bronze/ingest_log, incrementally and exactly once.

Exactly once, per batch of files, with plain appends that never read the tables they write:
1. _state/ingest_batches: a row per file naming the batch (the batch's intent);
2. bronze/quarantine (when there is any), 3. bronze/documents: appends as Delta transaction (batch id, 0);
4. ingest_log: the final row per file, as transaction (batch id, 0). A file is done once it has a final row.
The batch id is a hash of the batch's files and attempt, so a crash anywhere is repaired by the next run: it finds
the pending batch, parses the same files again, and Delta skips each append that had already committed. Two runs
given the same inputs form the same batches, so one of two racing appends is skipped the same way.
A WARC-Record-ID is loaded once, whichever file or batch brings it: ids are checked within the batch and looked up
in bronze by key (a re-download under another name, a mirror, a partial copy and then the full file all repeat
records), so incremental refreshes give the same tables as one refresh of every file. The lookup reads the key
columns only (`tables.lookup`: a literal IN list that Delta's file statistics prune, or a semi-join beyond it).
"""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from etl import tables
from etl.table_specs import (BRONZE_DOCUMENTS, BRONZE_INGEST_LOG, BRONZE_QUARANTINE, BRONZE_TABLES, INGEST_BATCHES,
                             schema)
from etl.bronze import formats
from etl.bronze.reading import arrow_content_parser, arrow_partition_parser
from etl.bronze.records import (ENVELOPE_DDL, FINAL_STATUSES, KIND_DOCUMENT, KIND_FILE, KIND_QUARANTINE,
                                STATUS_EMPTY, STATUS_NOT_WARC, STATUS_PARTIAL, STATUS_TRUNCATED)
from etl.config import IngestConfig, PipelineConfig
from etl.io import hadoop_fs
from etl.io.sources import RetryPolicy, current_size, has_scheme, local_path
from etl.io.warc import SNIPPET_BYTES
from etl.preflight import PreflightError, check_inputs
from etl.spark import persist_or_checkpoint, release

# A file's latest status decides whether a run reads it: ok, partial, empty and not_warc are final, unreachable and
# error are retried, and these are read again when the file's size changed since (a download or copy went on).
RECHECK_STATUSES = (STATUS_PARTIAL, STATUS_EMPTY, STATUS_NOT_WARC, STATUS_TRUNCATED)
# A truncated file whose size cannot be told now (HTTP without Content-Length) is read again at most this often.
MAX_BLIND_RETRIES = 3
COPIES_SCHEMA = "source_file string, record_offset bigint, _loaded_from string"  # see duplicate_copies


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
    files_reread: int = 0  # final or truncated files whose size changed since they were read
    truncated_unchanged: int = 0  # truncated files not read again: same size as when they were read
    already_loaded: int = 0  # records of a re-read file that bronze already had from its earlier read
    # Batches with an append Delta skipped as already committed (a crashed attempt or a concurrent run made it):
    # their rows are counted by the run that added them, not here.
    batches_already_committed: int = 0
    warnings: list[str] = field(default_factory=list)  # files that gave nothing at all, one line each

    def lines(self) -> list[str]:
        out = [
            f"ingest run {self.run_id}",
            f"  files given            {self.files_given:>10,}",
            f"  already ingested       {self.files_already_done:>10,}"
            + (f"  ({self.truncated_unchanged:,} truncated and unchanged since)" if self.truncated_unchanged else ""),
            f"  read again (changed)   {self.files_reread:>10,}"
            + (f"  ({self.already_loaded:,} of their records already loaded)" if self.already_loaded else ""),
            f"  processed now          {self.files_processed:>10,}  {dict(sorted(self.file_statuses.items()))}",
            f"  documents loaded       {self.documents_loaded:>10,}",
            f"  quarantined            {self.quarantined:>10,}  {dict(sorted(self.quarantine_reasons.items()))}",
            f"  bytes read             {self.bytes_read:>10,}  ({self.bytes_decompressed:,} decompressed)",
        ]
        if self.batches_already_committed:
            out.append(f"  already committed      {self.batches_already_committed:>10,}  batch(es) another run (or a "
                       "crashed attempt) had committed: their rows are counted there, not here")
        shown = self.warnings[:MAX_WARNING_LINES]
        out += [f"  warning: {line}" for line in shown]
        if len(self.warnings) > len(shown):
            out.append(f"  warning: ... and {len(self.warnings) - len(shown):,} more (bronze/ingest_log, by status)")
        return out


new_run_id = tables.new_run_id
MAX_WARNING_LINES = 20  # warning lines in a summary; the rest are counted


def ensure_bronze_tables(spark: SparkSession, lake: str) -> None:
    """Bronze's tables and the batch intents (etl.table_specs), created if absent."""
    # Batch intents: (batch_id, source_file) written before a batch's appends; a batch without ingest_log rows is
    # pending.
    for name in (*BRONZE_TABLES, INGEST_BATCHES):
        tables.ensure(spark, lake, name)


@dataclass
class LogState:
    """What the ingest log says: each file's latest read, batches a crash left pending, and attempts per file."""

    latest: dict[str, tuple[str, int | None]]  # file -> (status, source size) of its latest read
    pending: dict[str, list[str]]  # batch id -> its files, for batches with a pending row and no final rows
    attempts: dict[str, int]  # file -> final rows so far (retryable statuses included)

    @property
    def done(self) -> set[str]:
        return {f for f, (status, _size) in self.latest.items() if status in FINAL_STATUSES}


def log_state(spark: SparkSession, lake: str) -> LogState:
    """Read the ingest log and the batch intents (one small row per file and attempt; never the documents)."""
    log = tables.read(spark, lake, BRONZE_INGEST_LOG)
    size = F.col("source_size") if "source_size" in log.columns else F.lit(None).cast("bigint")  # older lakes
    rows = log.select("source_file", "status", "batch_id", "started_at", size.alias("source_size")).collect()
    latest: dict[str, tuple[str, int | None]] = {}
    attempts: dict[str, int] = {}
    for r in sorted(rows, key=lambda r: r.started_at):
        latest[r.source_file] = (r.status, r.source_size)
        attempts[r.source_file] = attempts.get(r.source_file, 0) + 1
    finished_batches = {r.batch_id for r in rows}
    state = LogState(latest, {}, attempts)
    done = state.done
    if tables.exists(spark, lake, INGEST_BATCHES):
        for r in tables.read(spark, lake, INGEST_BATCHES).select("batch_id", "source_file").collect():
            if r.batch_id not in finished_batches and r.source_file not in done:
                state.pending.setdefault(r.batch_id, []).append(r.source_file)
    state.pending = {b: sorted(set(f)) for b, f in state.pending.items()}
    return state


def batch_id(files: list[str], attempts: dict[str, int]) -> str:
    """Deterministic id of a batch: the same files at the same attempt always get the same id."""
    key = "\n".join(f"{f}\t{attempts.get(f, 0)}" for f in sorted(files))
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def files_to_read(files: list[str], state: LogState, icfg: IngestConfig, summary: IngestSummary,
                  spark: SparkSession | None = None) -> list[str]:
    """New files, retryable ones, and files read before whose size has changed since (stat, HTTP HEAD, or a Hadoop
    listing when ``spark`` is given)."""
    policy = RetryPolicy.from_config(icfg)
    todo = []
    for f in files:
        status, size = state.latest.get(f, (None, None))
        if status not in RECHECK_STATUSES:
            if status not in FINAL_STATUSES:
                todo.append(f)  # new, unreachable or error
            continue
        if spark is not None and hadoop_fs.read_by_spark(f):
            now = hadoop_fs.file_size(spark, f)
        else:
            now = current_size(f, policy, icfg.s3_http_endpoint)
        if now is not None and size is not None and now != size:
            todo.append(f)
            summary.files_reread += 1
        elif status == STATUS_TRUNCATED:
            if (now is None or size is None) and state.attempts.get(f, 0) < MAX_BLIND_RETRIES:
                todo.append(f)  # cannot tell whether it changed: read again, a bounded number of times
                summary.files_reread += 1
            else:
                summary.truncated_unchanged += 1
    return todo


def parse_files(spark: SparkSession, files: list[str], cfg: IngestConfig,
                missing: frozenset[str] = frozenset()) -> DataFrame:
    """Envelope rows for `files`, one input file per Spark task (cc-pyspark's model).

    `spark.range` with one partition per file, not an RDD, so this also runs on Spark Connect (serverless).
    Files on Hadoop filesystems are read by Spark (etl.io.hadoop_fs); ``missing`` ones go to the Python reader,
    which records them as unreachable instead of failing the scan.
    """
    # A missing input fails a whole Spark scan, so it goes to the Python reader, which logs it as unreachable.
    by_spark = [f for f in files if hadoop_fs.read_by_spark(f, cfg.read_with_spark) and f not in missing
                and (has_scheme(f) or os.path.exists(local_path(f)))]
    by_python = [f for f in files if f not in by_spark]
    parts = []
    if by_python:
        names = F.array(*[F.lit(f) for f in by_python])
        files_df = spark.range(0, len(by_python), 1, numPartitions=len(by_python)).select(
            F.element_at(names, (F.col("id") + 1).cast("int")).alias("source_file"))
        parts.append(files_df.mapInArrow(arrow_partition_parser(cfg), ENVELOPE_DDL))
    if by_spark:  # Hadoop filesystems: Spark reads the bytes, the same parser makes the same envelope
        parts.append(hadoop_fs.read_contents(spark, by_spark).mapInArrow(arrow_content_parser(cfg), ENVELOPE_DDL))
    return functools.reduce(DataFrame.unionByName, parts)


def _quarantine_id(*cols) -> F.Column:
    return F.substring(F.sha2(F.concat_ws("|", *cols), 256), 1, 32)


def split_envelope(env: DataFrame, run_id: str, now: datetime) -> tuple[DataFrame, DataFrame, DataFrame]:
    """Envelope -> (documents, quarantine, ingest_log) frames shaped as the bronze schemas."""
    run = F.lit(run_id)
    stamp = F.lit(now).cast("timestamp")
    docs = env.where(F.col("kind") == KIND_DOCUMENT).select(
        *[F.col(c) for c in schema(BRONZE_DOCUMENTS).fieldNames() if c not in ("ingest_run_id", "ingested_at")],
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
        F.lit(None).cast("string").alias("batch_id"), "source_size", "source_checksum",
    )
    return docs, quarantine, log


def duplicate_copies(docs: DataFrame, existing: DataFrame) -> DataFrame:
    """(source_file, record_offset, _loaded_from) of document rows that repeat an already-kept WARC-Record-ID.

    Works on keys only, so no text moves: within the batch the first copy by (file, offset) is kept; a copy of a
    record that bronze already holds is a duplicate too (`_loaded_from` names the file it came from: the same file
    when a changed file is read again, and then the copy is simply already loaded).
    """
    keys = docs.select("doc_id", "source_file", "record_offset")
    order = Window.partitionBy("doc_id").orderBy("source_file", "record_offset")
    ranked = keys.withColumn("_copy", F.row_number().over(order))
    later = ranked.where(F.col("_copy") > 1).select(
        "source_file", "record_offset", F.lit(None).cast("string").alias("_loaded_from"))
    firsts = ranked.where(F.col("_copy") == 1)
    loaded = existing.select("doc_id", F.col("source_file").alias("_loaded_from"))
    elsewhere = firsts.join(loaded, "doc_id", "inner").select("source_file", "record_offset", "_loaded_from")
    # one row per copy, even when its record was loaded from several files before
    return later.unionByName(elsewhere).groupBy("source_file", "record_offset").agg(
        F.min("_loaded_from").alias("_loaded_from"))


def duplicate_quarantine_rows(docs: DataFrame, copies: DataFrame, run_id: str, now: datetime) -> DataFrame:
    """Quarantine rows for duplicate copies, so no copy disappears without a trace (a record a re-read file
    already loaded is no duplicate: it is in bronze, from this very file)."""
    others = copies.where(F.col("_loaded_from").isNull() | (F.col("_loaded_from") != F.col("source_file")))
    dup = docs.join(others, ["source_file", "record_offset"], "inner")
    return dup.select(
        _quarantine_id(F.col("source_file"), F.col("record_offset").cast("string"), F.lit("duplicate_record_id"))
        .alias("quarantine_id"),
        "source_file", "record_offset", F.lit("duplicate_record_id").alias("reason"),
        F.concat(F.lit("WARC-Record-ID already loaded"),
                 F.when(F.col("_loaded_from").isNotNull(), F.concat(F.lit(" from "), F.col("_loaded_from")))
                 .otherwise(F.lit(" from an earlier record in this batch"))).alias("detail"),
        "warc_record_id", F.substring("text", 1, SNIPPET_BYTES).alias("snippet"),
        F.lit(run_id).alias("ingest_run_id"), F.lit(now).cast("timestamp").alias("quarantined_at"),
    )


def loaded_rows(spark: SparkSession, lake: str, docs: DataFrame) -> DataFrame:
    """(doc_id, source_file) of bronze rows that already hold one of the batch's records, from any earlier file.

    Keys only, so no text moves; the cost follows the batch's keys (see `tables.lookup`), and the result is small.
    """
    existing = tables.read(spark, lake, BRONZE_DOCUMENTS).select("doc_id", "source_file")
    return tables.lookup(existing, docs.select("doc_id"), "doc_id")


def _intent_rows(spark: SparkSession, files: list[str], run_id: str, batch: str, now: datetime) -> DataFrame:
    return spark.createDataFrame([(batch, f, run_id, now) for f in files], schema(INGEST_BATCHES))


def ingest_batch(spark: SparkSession, lake: str, files: list[str], cfg: IngestConfig, run_id: str,
                 summary: IngestSummary, batch: str, seen: set[str], missing: frozenset[str] = frozenset()) -> None:
    """Parse and commit one batch of files (the unit of exactly-once).

    Each file is read exactly once: the parsed batch is cached (spilling to disk beyond memory) while the small
    rows (file and quarantine rows, duplicate keys) are collected and the documents are appended. Reading twice
    would download a remote file twice and could see two different versions of a file still being written.
    `seen`: files with earlier reads (a file among them is read again because it changed).
    """
    now = datetime.now(timezone.utc)
    retries = cfg.write_retries
    tables.append(spark, tables.table_path(lake, INGEST_BATCHES), _intent_rows(spark, files, run_id, batch, now),
                  retries, txn=(batch, 0))
    reread = sorted(f for f in files if f in seen)
    env = persist_or_checkpoint(parse_files(spark, files, cfg, missing))  # each file read once (see above)
    try:
        docs, quarantine, log = split_envelope(env, run_id, now)
        log_rows = log.collect()  # one small row per file; reads every file of the batch, once
        copies = duplicate_copies(docs, loaded_rows(spark, lake, docs)).collect()  # usually none
        copies_df = spark.createDataFrame(copies, COPIES_SCHEMA)
        if copies:
            quarantine = quarantine.unionByName(duplicate_quarantine_rows(docs, copies_df, run_id, now))
            docs = docs.join(F.broadcast(copies_df.select("source_file", "record_offset")),
                             ["source_file", "record_offset"], "left_anti")
        if reread:  # the damage an earlier read of the same file already recorded is not recorded twice
            earlier = tables.read(spark, lake, BRONZE_QUARANTINE).where(F.col("source_file").isin(reread))
            quarantine = quarantine.join(earlier.select("quarantine_id"), "quarantine_id", "left_anti")
        quarantine_rows = quarantine.collect()  # small; written from the driver, not by scanning the cache again
        quarantine_added = True  # each append says whether it added its rows or found them committed already
        if quarantine_rows:  # most batches have none: no empty commit
            quarantine_added = tables.append(
                spark, tables.table_path(lake, BRONZE_QUARANTINE),
                spark.createDataFrame(quarantine_rows, schema(BRONZE_QUARANTINE)), retries, txn=(batch, 0))
        docs_added = tables.append(spark, tables.table_path(lake, BRONZE_DOCUMENTS), docs, retries,
                                   txn=(batch, 0))
    finally:
        release(env)
    names = schema(BRONZE_INGEST_LOG).fieldNames()
    final = [tuple({**row.asDict(), "batch_id": batch}[n] for n in names) for row in log_rows]
    log_added = tables.append(spark, tables.table_path(lake, BRONZE_INGEST_LOG),
                              spark.createDataFrame(final, schema(BRONZE_INGEST_LOG)), retries,
                              txn=(batch, 0), merge_schema=True)  # lakes written before source_size/checksum existed
    again = sum(1 for c in copies if c._loaded_from == c.source_file)
    _count(summary, files, log_rows, quarantine_rows, len(copies), again, docs_added, quarantine_added, log_added)


def _count(summary: IngestSummary, files: list[str], log_rows, quarantine_rows, copies: int, again: int,
           docs_added: bool = True, quarantine_added: bool = True, log_added: bool = True) -> None:
    """Add one batch to the summary: what this run added (an append Delta skipped as already committed adds
    nothing), and a warning per file that gave nothing at all."""
    for row in log_rows:
        summary.file_statuses[row.status] = summary.file_statuses.get(row.status, 0) + 1
        summary.bytes_read += row.bytes_read
        summary.bytes_decompressed += row.bytes_decompressed
        if docs_added:
            summary.documents_loaded += row.documents
        if row.status == STATUS_NOT_WARC or (row.status == STATUS_EMPTY and not row.bytes_read):
            why = row.error or "the file has no bytes (a failed download or copy?)"
            summary.warnings.append(f"{row.source_file}: {row.status}: {why}")
    if docs_added:
        summary.documents_loaded -= copies  # duplicates of another file's record, or already loaded from this one
        summary.already_loaded += again
    for row in quarantine_rows if quarantine_added else ():
        summary.quarantine_reasons[row.reason] = summary.quarantine_reasons.get(row.reason, 0) + 1
        summary.quarantined += 1
    summary.files_processed += len(files)
    summary.batches_already_committed += not (docs_added and quarantine_added and log_added)


def hadoop_inputs(spark: SparkSession, files: list[str], icfg: IngestConfig) -> tuple[list[str], frozenset[str]]:
    """Globs and directories on Hadoop filesystems expanded by Spark, and which inputs do not exist; the same
    refusal as preflight's when something matched nothing (unless missing inputs are allowed)."""
    files, unmatched, missing = hadoop_fs.expand(spark, files, s3a_with_spark=icfg.read_with_spark)
    if unmatched and not icfg.allow_missing_inputs:
        raise PreflightError("input not found: " + "; ".join(unmatched))
    if not files:
        raise PreflightError("no input files found")
    return files, frozenset(missing)


def run_ingest(
    spark: SparkSession,
    cfg: PipelineConfig,
    inputs: list[str],
    progress: Callable[[str], None] = print,
    run_id: str | None = None,
) -> IngestSummary:
    """Ingest every input file not already done (or changed since); returns the run's counts.

    Raises PreflightError before touching the lake when inputs are missing (unless allowed) or none are found.
    """
    run_id = run_id or new_run_id()
    icfg = cfg.ingest
    if icfg.format != formats.AUTO and formats.get(icfg.format) is None:
        raise PreflightError(f"ingest.format={icfg.format!r} names no input format "
                             f"(known: {formats.AUTO}, {', '.join(formats.registered())})")
    files, missing = hadoop_inputs(spark, check_inputs(inputs, icfg), icfg)
    summary = IngestSummary(run_id=run_id, files_given=len(files))
    ensure_bronze_tables(spark, cfg.lake)
    state = log_state(spark, cfg.lake)
    # Batches a crash left pending go first, with their own files and id (their appends may have committed).
    batches = list(state.pending.items())
    in_pending = {f for _b, fs in batches for f in fs}
    todo = [f for f in files_to_read(files, state, icfg, summary, spark) if f not in in_pending]
    summary.files_already_done = sum(1 for f in files if f not in todo and f not in in_pending)
    for i in range(0, len(todo), icfg.files_per_batch):
        chunk = todo[i : i + icfg.files_per_batch]
        batches.append((batch_id(chunk, state.attempts), chunk))
    progress(f"bronze: {len(files)} input files, {summary.files_already_done} already ingested, "
             f"{len(todo) + len(in_pending)} to read in {len(batches)} batch(es)"
             + (f" ({summary.files_reread} read again: changed since)" if summary.files_reread else "")
             + (f" ({len(state.pending)} left pending by an earlier run)" if state.pending else ""))
    seen = set(state.attempts)
    for i, (bid, batch) in enumerate(batches, 1):
        before = summary.documents_loaded
        ingest_batch(spark, cfg.lake, batch, icfg, run_id, summary, bid, seen, missing)
        seen.update(batch)  # a file of a later batch that is one of these is a re-read
        progress(f"bronze: batch {i}/{len(batches)}: {len(batch)} files, "
                 f"{summary.documents_loaded - before:,} documents, {summary.quarantined:,} quarantined so far")
    return summary
