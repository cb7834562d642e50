"""Exact + near dedup over gold/minhash_index: buckets -> star edges -> connected components -> survivors.

The index holds one row per document that passed the filters: its MinHash signature and a hash of its normalised
text. Band hashes are re-derived from stored signatures (cheap, no text), and the exact-duplicate bucket is just
one more band (EXACT_BAND) keyed on the text hash, so exact and near duplicates share one clustering. A refresh
adds signatures for new documents only and clusters the whole index, so its result equals a full recompute.
"""

from __future__ import annotations

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from etl.config import DedupConfig
from etl.gold.components import connected_components
from etl.gold.lsh import (
    LSHConfig,
    candidate_edges,
    jaccard_estimate,
    minhash_signatures,
    signature_bands,
    verify_edges_exact,
)

EXACT_BAND = -1  # band id of the exact-text bucket
STAGE_EXACT, STAGE_NEAR = "exact_dedup", "near_dedup"


def lsh_config(cfg: DedupConfig) -> LSHConfig:
    return LSHConfig(num_perm=cfg.num_perm, seed=cfg.seed, ngram=cfg.ngram, kind=cfg.kind, mode=cfg.mode,
                     threshold=cfg.threshold, bands=cfg.bands, rows=cfg.rows, verify_threshold=cfg.verify_threshold,
                     verify_method=cfg.verify_method)


def text_hash(col: str = "text") -> Column:
    """Exact-dedup key: SHA-256 of the normalised text."""
    return F.sha2(F.coalesce(F.col(col), F.lit("")), 256)


def index_rows(docs: DataFrame, cfg: DedupConfig) -> DataFrame:
    """(doc_id, text_hash, signature) for documents entering the index; empty texts get no signature."""
    hashes = docs.select("doc_id", text_hash("text").alias("text_hash"))
    sigs = minhash_signatures(docs.select("doc_id", "text"), "text", "doc_id", lsh_config(cfg))
    return hashes.join(sigs.withColumnRenamed("id", "doc_id"), "doc_id", "left")


def bucket_rows(index: DataFrame, cfg: DedupConfig) -> DataFrame:
    """(id, band, band_hash) for every indexed document: the LSH bands plus the exact-text bucket."""
    with_sig = index.where(F.col("signature").isNotNull()).select(F.col("doc_id").alias("id"), "signature")
    near = signature_bands(with_sig, lsh_config(cfg), id_col="id") if cfg.enabled else None
    exact = index.select(F.col("doc_id").alias("id"), F.lit(EXACT_BAND).alias("band"),
                         F.xxhash64("text_hash").alias("band_hash")) if cfg.exact else None
    parts = [p for p in (near, exact) if p is not None]
    out = parts[0]
    for p in parts[1:]:
        out = out.unionByName(p)
    return out


def _order(survivor_order: list[str]) -> list[Column]:
    cols = []
    for item in survivor_order:
        name, direction = item.split()
        cols.append(F.col(name).asc_nulls_last() if direction == "asc" else F.col(name).desc_nulls_last())
    if not any(item.split()[0] == "doc_id" for item in survivor_order):
        cols.append(F.col("doc_id").asc())  # always a total order: survivors never depend on partitioning
    return cols


def clusters(index: DataFrame, attrs: DataFrame, cfg: DedupConfig, checkpoint_dir: str | None = None,
             texts: DataFrame | None = None) -> DataFrame:
    """gold/duplicates rows: (doc_id, cluster_id, survivor_id, similarity, stage) for every non-survivor.

    `attrs` has doc_id plus the columns named in `survivor_order`; `texts` (doc_id, text) is needed when
    candidates are verified exactly (``verify_method="exact"``).
    """
    if not (cfg.enabled or cfg.exact):
        return index.sparkSession.createDataFrame([], "doc_id string, cluster_id string, survivor_id string, "
                                                      "similarity double, stage string, cluster_size long")
    edges = candidate_edges(bucket_rows(index, cfg))
    sigs = index.select("doc_id", "signature", "text_hash")
    cached = None
    if cfg.verify_threshold is not None:
        pairs = (
            edges.join(sigs.select(F.col("doc_id").alias("src"), F.col("signature").alias("s1"),
                                   F.col("text_hash").alias("h1")), "src", "inner")
            .join(sigs.select(F.col("doc_id").alias("dst"), F.col("signature").alias("s2"),
                              F.col("text_hash").alias("h2")), "dst", "inner")
        )
        same_text = F.col("h1") == F.col("h2")  # exact-text pairs always stand
        if cfg.verify_method == "exact":
            if texts is None:
                raise ValueError("verify_method='exact' needs the documents' text (clusters(..., texts=...))")
            # read three times below (exact pairs, the endpoints, the verified join): bucket and join once
            pairs = cached = pairs.select("src", "dst", "h1", "h2").persist(StorageLevel.MEMORY_AND_DISK)
            near = verify_edges_exact(pairs.where(~same_text).select("src", "dst"),
                                      texts.select(F.col("doc_id").alias("id"), "text"),
                                      cfg.verify_threshold, lsh_config(cfg))
            edges = pairs.where(same_text).select("src", "dst").unionByName(near.select("src", "dst"))
        else:
            keep = same_text | (jaccard_estimate("s1", "s2") >= F.lit(cfg.verify_threshold))
            edges = pairs.where(keep).select("src", "dst")
    comps = connected_components(edges, checkpoint_dir=checkpoint_dir, max_iter=cfg.max_iterations)
    if cached is not None:
        cached.unpersist()  # connected_components has materialised its own cached copy of the edges
    members = comps.withColumnRenamed("id", "doc_id").withColumnRenamed("component", "cluster_id") \
        .join(attrs, "doc_id", "inner")
    ranked = members.withColumn("_rank", F.row_number().over(Window.partitionBy("cluster_id").orderBy(*_order(cfg.survivor_order)))) \
        .withColumn("cluster_size", F.count(F.lit(1)).over(Window.partitionBy("cluster_id")))
    survivors = ranked.where(F.col("_rank") == 1).select("cluster_id", F.col("doc_id").alias("survivor_id"))
    dups = ranked.where(F.col("_rank") > 1).join(survivors, "cluster_id", "inner")
    with_sigs = (
        dups.join(sigs.select("doc_id", F.col("signature").alias("s1"), F.col("text_hash").alias("h1")), "doc_id", "inner")
        .join(sigs.select(F.col("doc_id").alias("survivor_id"), F.col("signature").alias("s2"),
                          F.col("text_hash").alias("h2")), "survivor_id", "inner")
    )
    exact = F.col("h1") == F.col("h2")
    return with_sigs.select(
        "doc_id", "cluster_id", "survivor_id",
        F.when(exact, F.lit(1.0)).otherwise(F.coalesce(jaccard_estimate("s1", "s2"), F.lit(0.0))).alias("similarity"),
        F.when(exact, F.lit(STAGE_EXACT)).otherwise(F.lit(STAGE_NEAR)).alias("stage"),
        F.col("cluster_size").cast("long").alias("cluster_size"),
    )
