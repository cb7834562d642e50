"""Gold: silver rows -> decisions -> dedup -> gold/documents, gold/rejections, gold/duplicates, gold/minhash_index.

Order of writes, each idempotent, so a crash anywhere and a rerun give the same tables:
1. gold/rejections: filter drops (insert-only MERGE on doc_id);
2. gold/minhash_index: signatures of documents that passed (insert-only MERGE on doc_id);
3. gold/duplicates: recomputed from the whole index (one overwrite);
4. gold/rejections: dedup drops (insert-only MERGE);
5. gold/documents: delete rows that became duplicates, insert new survivors (insert-only MERGE).
"Decided" documents (in the index or rejected by a filter) are never decided again, so a refresh only scores new
silver rows; `rebuild=True` starts gold over (e.g. after changing thresholds).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from etl import tables
from etl.config import PipelineConfig
from etl.gold.decisions import decide
from etl.gold.dedup import clusters, index_rows

SILVER_DOCUMENTS = "silver/documents"
GOLD_DOCUMENTS = "gold/documents"
GOLD_REJECTIONS = "gold/rejections"
GOLD_DUPLICATES = "gold/duplicates"
GOLD_MINHASH_INDEX = "gold/minhash_index"
# One row per completed gold run with the index version it clustered: a later run with no new decisions and the
# same index version has nothing to do (so a no-op refresh writes nothing), while a run that crashed after
# growing the index redoes the dedup steps.
GOLD_STATE = "gold/_state"
STAGE_FILTER = "filter"
GOLD_DOCUMENT_COLUMNS = (
    "doc_id", "url", "url_host", "url_domain", "crawl_id", "warc_date", "language", "language_score",
    "gopher_n_words", "tox_tier", "text",
)
GOLD_TABLE_PROPERTIES = {"delta.dataSkippingStatsColumns": "doc_id,language,crawl_id,warc_date,url_host"}


@dataclass
class GoldSummary:
    documents_in: int = 0
    filtered: dict[str, int] = field(default_factory=dict)  # reason -> count (first failing rule)
    exact_duplicates: int = 0
    near_duplicates: int = 0
    kept_total: int = 0
    cluster_sizes: dict[int, int] = field(default_factory=dict)  # size -> number of clusters

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
            f"  exact duplicates (all) {self.exact_duplicates:>10,}",
            f"  near duplicates (all)  {self.near_duplicates:>10,}",
            f"  kept in gold (all)     {self.kept_total:>10,}",
            f"  cluster sizes          {dict(sorted(self.cluster_sizes.items()))}",
        ]


def _rejection_rows(df: DataFrame, stage: F.Column, reason: F.Column, run_id: str, now: datetime) -> DataFrame:
    return df.select(
        "doc_id", stage.alias("stage"), reason.alias("reason"),
        F.split(reason, ":").getItem(0).alias("family"),
        F.lit(run_id).alias("gold_run_id"), F.lit(now).cast("timestamp").alias("decided_at"),
    )


def undecided(spark: SparkSession, lake: str, silver: DataFrame) -> DataFrame:
    """Silver rows with no gold decision yet (neither indexed nor rejected by a filter)."""
    out = silver
    if tables.exists(spark, lake, GOLD_MINHASH_INDEX):
        out = out.join(tables.read(spark, lake, GOLD_MINHASH_INDEX).select("doc_id"), "doc_id", "left_anti")
    if tables.exists(spark, lake, GOLD_REJECTIONS):
        filt = tables.read(spark, lake, GOLD_REJECTIONS).where(F.col("stage") == STAGE_FILTER).select("doc_id")
        out = out.join(filt, "doc_id", "left_anti")
    return out


def survivor_attrs(silver: DataFrame, cfg: PipelineConfig) -> DataFrame:
    names = ["doc_id"] + [item.split()[0] for item in cfg.gold.dedup.survivor_order if item.split()[0] != "doc_id"]
    return silver.select(*dict.fromkeys(names))


def run_gold(spark: SparkSession, cfg: PipelineConfig, run_id: str, progress: Callable[[str], None] = print,
             rebuild: bool = False) -> GoldSummary:
    lake, g = cfg.lake, cfg.gold
    retries = cfg.ingest.write_retries
    if rebuild:
        for name in (GOLD_DOCUMENTS, GOLD_REJECTIONS, GOLD_DUPLICATES, GOLD_MINHASH_INDEX, GOLD_STATE):
            path = tables.table_path(lake, name)
            if "://" not in path:
                shutil.rmtree(path, ignore_errors=True)
    now = datetime.now(timezone.utc)
    summary = GoldSummary()
    silver = tables.read(spark, lake, SILVER_DOCUMENTS)
    new = decide(undecided(spark, lake, silver), g, cfg.silver.languages).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        counts = {r.drop_reason: r["count"] for r in new.groupBy("drop_reason").count().collect()}
        summary.documents_in = sum(counts.values())
        summary.filtered = {k: v for k, v in counts.items() if k is not None}
        progress(f"gold: {summary.documents_in:,} new documents, {sum(summary.filtered.values()):,} dropped by filters")
        rejected = _rejection_rows(new.where(F.col("drop_reason").isNotNull()), F.lit(STAGE_FILTER),
                                   F.col("drop_reason"), run_id, now)
        passing = new.where(F.col("drop_reason").isNull())
        index_new = index_rows(passing, g.dedup)
        rej_path = tables.table_path(lake, GOLD_REJECTIONS)
        idx_path = tables.table_path(lake, GOLD_MINHASH_INDEX)
        tables.ensure_table(spark, rej_path, rejected.schema)
        tables.merge_insert_only(spark, rej_path, rejected, ["doc_id"], retries)
        tables.ensure_table(spark, idx_path, index_new.schema)
        tables.merge_insert_only(spark, idx_path, index_new, ["doc_id"], retries)
    finally:
        new.unpersist()

    index_version = tables.version(spark, lake, GOLD_MINHASH_INDEX)
    if summary.documents_in == 0 and _last_clustered_version(spark, lake) == index_version:
        progress("gold: nothing new to decide or dedup")
        _fill_totals(spark, lake, summary)
        return summary

    # Dedup over the whole index (no signature is recomputed).
    index = tables.read(spark, lake, GOLD_MINHASH_INDEX)
    dups = clusters(index, survivor_attrs(silver, cfg), g.dedup, texts=silver.select("doc_id", "text")) \
        .withColumn("gold_run_id", F.lit(run_id))
    dup_path = tables.table_path(lake, GOLD_DUPLICATES)
    tables.with_retries(lambda: dups.write.format("delta").mode("overwrite").option("overwriteSchema", "true")
                        .save(dup_path), retries, "overwrite gold/duplicates")
    tables.committed()
    dups = tables.read(spark, lake, GOLD_DUPLICATES)
    dedup_rej = _rejection_rows(dups, F.col("stage"),
                                F.when(F.col("stage") == "exact_dedup", F.lit("dedup:exact_duplicate"))
                                .otherwise(F.lit("dedup:near_duplicate")), run_id, now)
    tables.merge_insert_only(spark, rej_path, dedup_rej, ["doc_id"], retries)

    # gold/documents = indexed documents that are not duplicates.
    doc_path = tables.table_path(lake, GOLD_DOCUMENTS)
    kept_ids = index.select("doc_id").join(dups.select("doc_id"), "doc_id", "left_anti")

    def documents_for(ids: DataFrame) -> DataFrame:
        return silver.join(ids, "doc_id", "inner").select(*GOLD_DOCUMENT_COLUMNS).withColumn("gold_run_id", F.lit(run_id))

    tables.ensure_table(spark, doc_path, documents_for(kept_ids.limit(0)).schema, GOLD_TABLE_PROPERTIES)
    from delta.tables import DeltaTable

    def delete_new_duplicates() -> None:
        DeltaTable.forPath(spark, doc_path).alias("t").merge(
            dups.select("doc_id").alias("s"), "t.doc_id = s.doc_id").whenMatchedDelete().execute()

    tables.with_retries(delete_new_duplicates, retries, "delete duplicates from gold/documents")
    tables.committed()
    # Only ids go through the anti-join; text is read for the new survivors alone.
    new_ids = kept_ids.join(tables.read(spark, lake, GOLD_DOCUMENTS).select("doc_id"), "doc_id", "left_anti")
    new_kept = documents_for(new_ids)
    tables.merge_insert_only(spark, doc_path, new_kept, ["doc_id"], retries)

    state = spark.createDataFrame([(run_id, index_version, datetime.now(timezone.utc))],
                                  "gold_run_id string, index_version long, completed_at timestamp")
    tables.append(spark, tables.table_path(lake, GOLD_STATE), state, retries)
    _fill_totals(spark, lake, summary)
    progress(f"gold: {summary.kept_total:,} documents kept, {summary.exact_duplicates + summary.near_duplicates:,} "
             "duplicates in total")
    return summary


def _last_clustered_version(spark: SparkSession, lake: str) -> int | None:
    if not tables.exists(spark, lake, GOLD_STATE):
        return None
    row = tables.read(spark, lake, GOLD_STATE).agg(F.max("index_version").alias("v")).first()
    return row.v


def _fill_totals(spark: SparkSession, lake: str, summary: GoldSummary) -> None:
    """Lake-wide dedup figures from the tables (the same after one run or many)."""
    if not tables.exists(spark, lake, GOLD_DUPLICATES):
        return
    dups = tables.read(spark, lake, GOLD_DUPLICATES)
    stats = dups.groupBy("stage").count().collect()
    for row in stats:
        if row.stage == "exact_dedup":
            summary.exact_duplicates = row["count"]
        else:
            summary.near_duplicates = row["count"]
    sizes = dups.select("cluster_id", "cluster_size").distinct().groupBy("cluster_size").count().collect()
    summary.cluster_sizes = {int(r.cluster_size): int(r["count"]) for r in sizes}
    summary.kept_total = tables.read(spark, lake, GOLD_DOCUMENTS).count()
