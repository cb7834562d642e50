"""Gold: new silver rows -> decisions -> incremental dedup -> gold/documents, rejections, duplicates, the index.

A gold step takes the rows silver gained in versions (after, upto] (Change Data Feed, see etl.progress), decides
them, and dedups the passing ones against history with etl.gold.dedup.update, which touches only the buckets of the
new documents and the clusters they change. Every write is an append or a delete of touched keys, each a Delta
transaction (app id, seq*8+k) of the step, and every history read is pinned to the versions recorded when the step
began: a rerun after a crash recomputes the same changes and Delta skips the writes already made. Order:
gold/rejections (filter drops), gold/minhash_index, gold/minhash_edges, gold/clusters, gold/duplicates,
gold/rejections (dedup drops), gold/documents. `rebuild=True` drops gold and starts over from silver version 0
(e.g. after changing thresholds or dedup parameters).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from etl import progress as stage_progress
from etl import tables
from etl.table_specs import (GOLD_BENCHMARK_NGRAMS, GOLD_BENCHMARKS, GOLD_CLUSTERS, GOLD_CONTAMINATION,
                             GOLD_DOCUMENTS, GOLD_DUPLICATES, GOLD_MINHASH_EDGES, GOLD_MINHASH_INDEX, GOLD_REJECTIONS,
                             GOLD_TABLES, SILVER_DOCUMENTS, STAGE_GOLD, schema)
from etl.catalog import DOMAIN_SIGNALS
from etl.config import DECONTAMINATION_DROP, PipelineConfig
from etl.gold import decontamination as decon
from etl.gold.decisions import decide
from etl.gold.dedup import STAGE_EXACT, History, survivor_columns, update
from etl.gold.redaction import redact_text
from etl.gold.subsets import SUBSET_COLUMNS, with_subset_flags
from etl.spark import persist_or_checkpoint, release

STAGE = STAGE_GOLD
STAGE_FILTER = "filter"
GOLD_DOCUMENT_COLUMNS = (
    "doc_id", "url", "url_host", "url_domain", "crawl_id", "warc_date", "language", "language_score",
    "gopher_n_words", "tox_tier", *SUBSET_COLUMNS, *(s.name for s in DOMAIN_SIGNALS), "text",
)


@dataclass
class GoldSummary:
    """What a gold run did (its own steps), and lake-wide totals read from Delta metadata, not by scanning."""

    documents_in: int = 0
    filtered: dict[str, int] = field(default_factory=dict)  # reason -> count (first failing rule)
    touched: int = 0  # documents whose cluster was (re)decided, old and new
    exact_duplicates: int = 0  # duplicates among the touched documents, by stage
    near_duplicates: int = 0
    kept_added: int = 0  # rows gold/documents gained (new survivors, old documents set free)
    kept_removed: int = 0  # old rows that became duplicates of a better or bridging new document
    kept_total: int = 0  # gold/documents rows after the run
    duplicates_total: int = 0  # gold/duplicates rows after the run

    def by_family(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for reason, n in self.filtered.items():
            fam = reason.split(":")[0]
            out[fam] = out.get(fam, 0) + n
        return out

    def lines(self) -> list[str]:
        return [
            "gold",
            f"  new documents decided  {self.documents_in:>10,}",
            f"  dropped by filters     {sum(self.filtered.values()):>10,}  {self.by_family()}",
            f"  dedup touched          {self.touched:>10,}  (exact {self.exact_duplicates:,}, "
            f"near {self.near_duplicates:,} duplicates among them)",
            f"  gold/documents         {self.kept_total:>10,}  (+{self.kept_added:,} -{self.kept_removed:,} this run)",
            f"  gold/duplicates        {self.duplicates_total:>10,}",
        ]


def _rejection_rows(df: DataFrame, stage: F.Column, reason: F.Column, run_id: str, now: datetime) -> DataFrame:
    return df.select(
        "doc_id", stage.alias("stage"), reason.alias("reason"),
        F.split(reason, ":").getItem(0).alias("family"),
        F.lit(run_id).alias("gold_run_id"), F.lit(now).cast("timestamp").alias("decided_at"),
    )


def run_gold(spark: SparkSession, cfg: PipelineConfig, run_id: str, progress: Callable[[str], None] = print,
             rebuild: bool = False) -> GoldSummary:
    """Decide and dedup every silver row added since the last gold step (finishing one a crash interrupted)."""
    lake, retries = cfg.lake, cfg.ingest.write_retries
    if rebuild:
        for name in GOLD_TABLES:
            tables.drop_table(spark, lake, name)
        stage_progress.reset(spark, lake, STAGE, run_id, retries)
    summary = GoldSummary()

    def recheck() -> None:
        if decon.enabled(cfg):
            decon.sync_index(spark, cfg, run_id, progress)
            _recheck(spark, cfg, run_id, summary, progress)

    stage_progress.run_incremental(spark, lake, STAGE, run_id,
                                   lambda step: _run_step(spark, cfg, step, run_id, summary, progress),
                                   progress, pin=GOLD_TABLES, before_new=recheck, retries=retries)
    _fill_totals(spark, lake, summary)
    progress(f"gold: {summary.kept_total:,} documents kept, {summary.duplicates_total:,} duplicates in total")
    return summary


def _run_step(spark: SparkSession, cfg: PipelineConfig, step: stage_progress.Step, run_id: str,
              summary: GoldSummary, progress: Callable[[str], None]) -> stage_progress.Step:
    """Decide one step's silver rows, dedup the passing ones against history, write every gold table."""
    lake, g, retries = cfg.lake, cfg.gold, cfg.ingest.write_retries
    now = datetime.now(timezone.utc)
    pinned = step.pinned
    silver = tables.read_at(spark, lake, SILVER_DOCUMENTS, step.upto_version, "doc_id string")
    new_silver = tables.changes_since(spark, lake, SILVER_DOCUMENTS, step.after_version, step.upto_version)
    decided = persist_or_checkpoint(decide(new_silver, g, cfg.silver.languages))  # read by several actions
    new, matches, upd = decided, None, None
    try:
        if decon.enabled(cfg):  # rule-passing documents that share an n-gram with a benchmark
            active = decon.active_index(spark, cfg, pinned.get(GOLD_BENCHMARK_NGRAMS))
            new, matches = decon.decontaminate(decided, active, cfg)
        counts = {r.drop_reason: r["count"] for r in new.groupBy("drop_reason").count().collect()}
        summary.documents_in += sum(counts.values())
        filtered = {k: v for k, v in counts.items() if k is not None}
        for k, v in filtered.items():
            summary.filtered[k] = summary.filtered.get(k, 0) + v
        progress(f"gold: {sum(counts.values()):,} new documents (silver versions {step.after_version + 1}.."
                 f"{step.upto_version}), {sum(filtered.values()):,} dropped by filters")
        rej_path = tables.ensure(spark, lake, GOLD_REJECTIONS, retries=retries)
        rejected = _rejection_rows(new.where(F.col("drop_reason").isNotNull()), F.lit(STAGE_FILTER),
                                   F.col("drop_reason"), run_id, now)
        tables.append(spark, rej_path, rejected, retries, txn=step.txn(GOLD_REJECTIONS, 0))
        if matches is not None:
            decon.write_contamination(spark, cfg, decon.contamination_rows(matches, new, cfg, run_id, now),
                                      step.txn(GOLD_CONTAMINATION, 0))

        passing = new.where(F.col("drop_reason").isNull())
        cols = survivor_columns(g.dedup)

        def from_silver(ids: DataFrame) -> DataFrame:
            return tables.lookup(silver, ids, "doc_id")

        index = tables.read_at(spark, lake, GOLD_MINHASH_INDEX, pinned.get(GOLD_MINHASH_INDEX),
                               schema(GOLD_MINHASH_INDEX))
        history = History(
            index=index,
            edges=tables.read_at(spark, lake, GOLD_MINHASH_EDGES, pinned.get(GOLD_MINHASH_EDGES),
                                 schema(GOLD_MINHASH_EDGES)),
            clusters=tables.read_at(spark, lake, GOLD_CLUSTERS, pinned.get(GOLD_CLUSTERS), schema(GOLD_CLUSTERS)),
            texts=lambda ids: from_silver(ids).select("doc_id", "text"),
            attrs=lambda ids: from_silver(ids).select(*cols),
            index_files=index.inputFiles(),  # from the pinned snapshot's log; no data is read
        )
        new_docs = passing.select(*dict.fromkeys(["doc_id", "text", *cols]))
        if not (history.index_files or history.edges.inputFiles() or history.clusters.inputFiles()):
            history = History.empty(new_docs, g.dedup)  # a new lake: nothing to look up, no job per lookup
        upd = update(new_docs, history, g.dedup)
        _write_dedup(spark, cfg, step, upd, run_id, now)
        added, removed = _write_documents(spark, cfg, step, upd, passing, silver, run_id)
        summary.kept_added += added
        summary.kept_removed += removed
        summary.touched += upd.touched.count()
        for row in upd.duplicates.groupBy("stage").count().collect():
            if row.stage == STAGE_EXACT:
                summary.exact_duplicates += row["count"]
            else:
                summary.near_duplicates += row["count"]
        progress(f"gold: dedup touched {summary.touched:,} documents in "
                 f"{upd.clusters.select('cluster_id').distinct().count():,} clusters")
    finally:
        release(decided)
        if upd is not None:
            upd.release()
    return step


def _write_dedup(spark: SparkSession, cfg: PipelineConfig, step: stage_progress.Step, upd, run_id: str,
                 now: datetime) -> None:
    """Index rows, edges, cluster membership, duplicates and dedup rejections of the touched documents."""
    lake, retries = cfg.lake, cfg.ingest.write_retries
    run = F.lit(run_id)
    path = tables.ensure(spark, lake, GOLD_MINHASH_INDEX, retries=retries)
    tables.append(spark, path, upd.new_index, retries, txn=step.txn(GOLD_MINHASH_INDEX, 0))
    path = tables.ensure(spark, lake, GOLD_MINHASH_EDGES, retries=retries)
    tables.delete_keys(spark, path, upd.dropped_buckets, "bucket", step.txn(GOLD_MINHASH_EDGES, 0), retries=retries)
    tables.append(spark, path, upd.new_edges, retries, txn=step.txn(GOLD_MINHASH_EDGES, 1))
    path = tables.ensure(spark, lake, GOLD_CLUSTERS, retries=retries)
    tables.delete_keys(spark, path, upd.touched, "doc_id", step.txn(GOLD_CLUSTERS, 0), retries=retries)
    tables.append(spark, path, upd.clusters, retries, txn=step.txn(GOLD_CLUSTERS, 1))
    path = tables.ensure(spark, lake, GOLD_DUPLICATES, retries=retries)
    tables.delete_keys(spark, path, upd.touched, "doc_id", step.txn(GOLD_DUPLICATES, 0), retries=retries)
    tables.append(spark, path, upd.duplicates.withColumn("gold_run_id", run), retries,
                  txn=step.txn(GOLD_DUPLICATES, 1))
    path = tables.table_path(lake, GOLD_REJECTIONS)
    tables.delete_keys(spark, path, upd.touched, "doc_id", step.txn(GOLD_REJECTIONS, 1),
                       extra=f"stage != '{STAGE_FILTER}'", retries=retries)  # SQL: also runs over Connect
    reason = F.when(F.col("stage") == STAGE_EXACT, F.lit("dedup:exact_duplicate")) \
        .otherwise(F.lit("dedup:near_duplicate"))
    tables.append(spark, path, _rejection_rows(upd.duplicates, F.col("stage"), reason, run_id, now), retries,
                  txn=step.txn(GOLD_REJECTIONS, 2))


def _write_documents(spark: SparkSession, cfg: PipelineConfig, step: stage_progress.Step, upd,
                     passing: DataFrame, silver: DataFrame, run_id: str) -> tuple[int, int]:
    """gold/documents: drop old documents that became duplicates, add new survivors and old ones set free.

    Who was a duplicate before is read from gold/duplicates at the pinned version, so no gold table is scanned.
    """
    lake, retries = cfg.lake, cfg.ingest.write_retries
    was_dup = tables.lookup(tables.read_at(spark, lake, GOLD_DUPLICATES, step.pinned.get(GOLD_DUPLICATES),
                                           schema(GOLD_DUPLICATES)), upd.touched, "doc_id").select("doc_id")
    now_dup = upd.duplicates.select("doc_id")
    new_ids = passing.select("doc_id")
    old_touched = upd.touched.join(new_ids, "doc_id", "left_anti")
    to_delete = old_touched.join(now_dup, "doc_id", "left_semi").join(was_dup, "doc_id", "left_anti")
    freed = old_touched.join(was_dup, "doc_id", "left_semi").join(now_dup, "doc_id", "left_anti")
    run = F.lit(run_id).alias("gold_run_id")
    pii = cfg.gold.pii  # personal data redacted on the way in (etl.gold.redaction)
    # is_code, is_math, is_qa derived from the silver signals with this config's thresholds (etl.gold.subsets)
    new_rows, freed_rows = (with_subset_flags(redact_text(rows, pii), cfg.gold).select(*GOLD_DOCUMENT_COLUMNS, run)
                            for rows in (passing.join(now_dup, "doc_id", "left_anti"),
                                         tables.lookup(silver, freed, "doc_id")))
    inserts = new_rows.unionByName(freed_rows)
    path = tables.ensure(spark, lake, GOLD_DOCUMENTS, inserts.schema, retries)
    to_delete = to_delete.localCheckpoint(eager=True)
    inserts = inserts.localCheckpoint(eager=True)
    tables.delete_keys(spark, path, to_delete, "doc_id", step.txn(GOLD_DOCUMENTS, 0), retries=retries)
    # merge_schema: a gold table written before the subset flags existed gains them (older rows read null)
    tables.append(spark, path, inserts, retries, txn=step.txn(GOLD_DOCUMENTS, 1), merge_schema=True)
    return inserts.count(), to_delete.count()


def _recheck(spark: SparkSession, cfg: PipelineConfig, run_id: str, summary: GoldSummary,
             progress: Callable[[str], None]) -> None:
    """Check the documents already in gold/documents once against benchmarks indexed since they were decided (the
    one-off cost of adding a benchmark: every kept document's text hashed once). Contaminated documents leave
    gold/documents (action drop) and are listed in gold/contamination; the registry then marks the benchmarks
    rechecked. Each write is a transaction named after the benchmarks' fingerprints, so a rerun skips what is done.
    """
    lake, retries = cfg.lake, cfg.ingest.write_retries
    pending = [r.benchmark for r in tables.read(spark, lake, GOLD_BENCHMARKS)
               .where(~F.col("rechecked")).select("benchmark").collect()]
    active = decon.active_index(spark, cfg).for_benchmarks(pending)
    if not active.fingerprints:
        return
    now = datetime.now(timezone.utc)
    key = ",".join(f"{name}@{fp[:12]}" for name, fp in sorted(active.fingerprints.items()))
    if tables.exists(spark, lake, GOLD_DOCUMENTS) and active.lengths:
        kept = tables.read(spark, lake, GOLD_DOCUMENTS).select("doc_id")
        docs = tables.read(spark, lake, SILVER_DOCUMENTS).select("doc_id", "url", "text").join(kept, "doc_id",
                                                                                                 "left_semi")
        matches = decon.find_contamination(docs.select("doc_id", "text"), active.index, active.lengths) \
            .localCheckpoint(eager=True)
        decon.write_contamination(spark, cfg, decon.contamination_rows(matches, docs, cfg, run_id, now),
                                  (f"gold:recheck:{key}:{GOLD_CONTAMINATION}", 0))
        if cfg.gold.decontamination.action == DECONTAMINATION_DROP:
            first = matches.groupBy("doc_id").agg(F.min("benchmark").alias("benchmark"))
            reason = F.concat(F.lit(decon.REASON_PREFIX), F.col("benchmark"))
            rej_path = tables.ensure(spark, lake, GOLD_REJECTIONS, retries=retries)
            tables.append(spark, rej_path, _rejection_rows(first, F.lit(STAGE_FILTER), reason, run_id, now), retries,
                          txn=(f"gold:recheck:{key}:{GOLD_REJECTIONS}", 0))
            tables.delete_keys(spark, tables.table_path(lake, GOLD_DOCUMENTS), first.select("doc_id"), "doc_id",
                               (f"gold:recheck:{key}:{GOLD_DOCUMENTS}", 0), retries=retries)
            for row in first.groupBy("benchmark").count().collect():
                reason_key = decon.REASON_PREFIX + row.benchmark
                summary.filtered[reason_key] = summary.filtered.get(reason_key, 0) + row["count"]
        progress(f"gold: re-checked gold/documents against {key}: {matches.select('doc_id').distinct().count():,} "
                 "contaminated")
    tables.update_where(spark, lake, GOLD_BENCHMARKS, {"rechecked": "true"}, "benchmark", list(active.fingerprints))


def _fill_totals(spark: SparkSession, lake: str, summary: GoldSummary) -> None:
    """Lake-wide row counts: Delta answers count(*) from its log's per-file statistics, without reading data."""
    if tables.exists(spark, lake, GOLD_DOCUMENTS):
        summary.kept_total = tables.read(spark, lake, GOLD_DOCUMENTS).count()
    if tables.exists(spark, lake, GOLD_DUPLICATES):
        summary.duplicates_total = tables.read(spark, lake, GOLD_DUPLICATES).count()
