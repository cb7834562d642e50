"""Exact + near dedup, incremental: new documents' buckets -> changed star edges -> touched clusters only.

The graph: every document is in one LSH bucket per band (band, band_hash) plus the exact-text bucket
(EXACT_BAND). Within a bucket every member has a star edge to the bucket's minimum doc_id (its root), kept only if
verified (same text, or exact shingle Jaccard >= verify_threshold). Clusters are the connected components, labelled
by their minimum doc_id; the survivor of a cluster is the first member in `survivor_order`.

That graph depends only on the set of documents, so it can be updated: new documents add their bucket rows; a
bucket whose root changes (a new document with a smaller id) has its edges re-decided; only the clusters holding an
endpoint of a changed edge are recomputed. The result equals a full recompute over the union (tests prove it), and
the work follows the new documents and the clusters they touch, not the size of the history. A full run is the
same update against an empty history (`full_dedup`), which the eval and the bench call too. The tables it feeds
(gold/minhash_index, gold/minhash_edges, gold/clusters, gold/duplicates) have their schemas in etl.table_specs.
"""

from __future__ import annotations

import re

from dataclasses import dataclass
from typing import Callable, Sequence

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from etl import tables
from etl.config import DedupConfig
from etl.gold.components import connected_components
from etl.gold.lsh import exact_jaccard, minhash_bands, shingle_sets
from etl.spark import release
from etl.table_specs import GOLD_CLUSTERS, GOLD_MINHASH_EDGES, GOLD_MINHASH_INDEX, schema

EXACT_BAND = -1  # band id of the exact-text bucket
# gold/duplicates.stage and gold/rejections.stage of a duplicate: the same text as its survivor, or a near copy.
STAGE_EXACT, STAGE_NEAR = "exact_dedup", "near_dedup"
# gold/minhash_index layout: partitioned by band (etl.table_specs), and each append written in (band, band_hash)
# order to files of at most about INDEX_FILE_ROWS rows, so every file holds a narrow band_hash range of one band.
# A key then falls in the range of one file per append (Delta prunes by partition and min/max statistics): a lookup
# of k keys opens at most k files per append, however large the index grows. Housekeeping's Z-order by band_hash
# keeps files range-disjoint; the size it compacts them to bounds what one key reads.
INDEX_FILE_ROWS = 100_000
# An index with fewer files than this per band is read whole by the lookup's semi-join: pruning saves little
# there, and the per-key literal filters that prune (bucket_scan) cost a Java compile of ~10 s that exceeds the
# 64 KB method limit and falls back to interpretation, plus a shuffle per band (measured on `make run`'s gold).
LOOKUP_PRUNE_MIN_FILES_PER_BAND = 8


def text_hash(col: str = "text") -> Column:
    """Exact-dedup key: SHA-256 of the normalised text."""
    return F.sha2(F.coalesce(F.col(col), F.lit("")), 256)


def bucket_key(band: Column | str = "band", band_hash: Column | str = "band_hash") -> Column:
    """One string per bucket, the key of gold/minhash_edges rows (deleted together when a bucket is re-rooted)."""
    return F.concat_ws(":", F.col(band) if isinstance(band, str) else band,
                       F.col(band_hash) if isinstance(band_hash, str) else band_hash)


def bucket_rows(docs: DataFrame, cfg: DedupConfig) -> DataFrame:
    """(band, band_hash, doc_id) of `docs` (doc_id, text): the LSH bands plus the exact-text bucket."""
    parts = []
    if cfg.enabled:
        bands = minhash_bands(docs.select("doc_id", "text"), "text", "doc_id", cfg)
        parts.append(bands.select("band", "band_hash", F.col("id").alias("doc_id")))
    if cfg.exact:
        parts.append(docs.select(F.lit(EXACT_BAND).alias("band"), F.xxhash64(text_hash("text")).alias("band_hash"),
                                 "doc_id"))
    if not parts:
        return docs.sparkSession.createDataFrame([], schema(GOLD_MINHASH_INDEX))
    out = parts[0]
    for p in parts[1:]:
        out = out.unionByName(p)
    return out


def index_layout(rows: DataFrame, file_rows: int = INDEX_FILE_ROWS) -> DataFrame:
    """Index rows (band, band_hash, doc_id) ordered for writing: range-partitioned on (band, band_hash) into tasks
    of at most about `file_rows` rows, sorted within each, so each written file covers one narrow key range."""
    if file_rows < 1:
        raise ValueError(f"file_rows must be >= 1, got {file_rows}")
    parts = max(1, -(-rows.count() // file_rows))
    return rows.repartitionByRange(parts, "band", "band_hash").sortWithinPartitions("band", "band_hash")


def _any_equal(col: Column, values: list) -> Column:
    """col = v1 OR col = v2 OR ..., as a balanced tree: Delta's data skipping tests each value against a file's
    min/max (an IN list it reduces to the list's own min and max, which random hashes spread over every file).
    Rows are still filtered by the IN list before it (a hash lookup), so this is evaluated only on matches."""
    if len(values) == 1:
        return col == F.lit(values[0])
    middle = len(values) // 2
    return _any_equal(col, values[:middle]) | _any_equal(col, values[middle:])


_BAND_DIR = re.compile(r"/band=[^/]+/")  # the partition directory of an index file


def bucket_scan(index: DataFrame, keys: DataFrame, limit: int = tables.LOOKUP_IN_LIST_MAX,
                index_files: Sequence[str] | None = None) -> DataFrame:
    """Rows (band, band_hash, doc_id) of `index` in the buckets `keys` (band, band_hash), as a plan (not run).

    Up to `limit` keys become one scan per band, band = b AND band_hash IN (...) (with the same as equalities for
    Delta, see _any_equal), which Delta prunes by partition and by each file's band_hash range (index_layout): the
    files read follow the keys, not the index. (One scan per
    band, not one OR over bands: Spark would split that into a partition filter and an OR of every band's hashes,
    and each file would be tested against them all.) More keys (every band then has some) are only joined. The
    exact semi-join decides either way. Given `index_files` (the data files of a Delta index), an index with none
    returns no rows at once, and one of fewer than LOOKUP_PRUNE_MIN_FILES_PER_BAND files per band is joined whole.
    """
    keys = keys.select("band", "band_hash").distinct()
    if index_files is not None:
        if not index_files:
            return index.select("band", "band_hash", "doc_id").limit(0)
        bands = {m.group(0) for m in map(_BAND_DIR.search, index_files) if m} or {""}
        if len(index_files) < LOOKUP_PRUNE_MIN_FILES_PER_BAND * len(bands):
            return index.join(keys, ["band", "band_hash"], "left_semi").select("band", "band_hash", "doc_id")
    found = keys.limit(limit + 1).collect()
    if not found:
        return index.select("band", "band_hash", "doc_id").limit(0)
    if len(found) <= limit:
        by_band: dict[int, list[int]] = {}
        for row in found:
            by_band.setdefault(row.band, []).append(row.band_hash)
        scans = [index.where((F.col("band") == F.lit(band)) & F.col("band_hash").isin(hashes)
                             & _any_equal(F.col("band_hash"), sorted(hashes)))
                 for band, hashes in sorted(by_band.items())]
        index = scans[0]
        for scan in scans[1:]:
            index = index.unionByName(scan)
    return index.join(keys, ["band", "band_hash"], "left_semi").select("band", "band_hash", "doc_id")


def bucket_lookup(index: DataFrame, keys: DataFrame, limit: int = tables.LOOKUP_IN_LIST_MAX,
                  index_files: Sequence[str] | None = None) -> DataFrame:
    """`bucket_scan`, materialised (local checkpoint): later plans hold its rows, not its literal filter."""
    return bucket_scan(index, keys, limit, index_files).localCheckpoint(eager=True)


def survivor_columns(cfg: DedupConfig) -> list[str]:
    """Columns `survivor_order` reads (doc_id first)."""
    names = ["doc_id"] + [item.split()[0] for item in cfg.survivor_order if item.split()[0] != "doc_id"]
    return list(dict.fromkeys(names))


def _order(survivor_order: tuple[str, ...]) -> list[Column]:
    cols = []
    for item in survivor_order:
        name, direction = item.split()
        cols.append(F.col(name).asc_nulls_last() if direction == "asc" else F.col(name).desc_nulls_last())
    if not any(item.split()[0] == "doc_id" for item in survivor_order):
        cols.append(F.col("doc_id").asc())  # always a total order: survivors never depend on partitioning
    return cols


@dataclass
class History:
    """What earlier refreshes left: the bucket index, verified edges, cluster membership, and lookups by doc_id."""

    index: DataFrame  # band, band_hash, doc_id
    edges: DataFrame  # doc_id, bucket, root_id, similarity (verified star edges)
    clusters: DataFrame  # doc_id, cluster_id (members of clusters of two or more)
    texts: Callable[[DataFrame], DataFrame]  # ids (one column) -> (doc_id, text)
    attrs: Callable[[DataFrame], DataFrame]  # ids -> doc_id + survivor_order columns
    index_files: Sequence[str] | None = None  # the index's data files when it is a Delta table (bucket_scan)
    is_empty: bool = False  # known to hold nothing (a new lake): lookups return no rows without a Spark job

    def lookup(self, df: DataFrame, keys: DataFrame, key: str) -> DataFrame:
        """tables.lookup on one of the history's frames; no rows at once when the history is empty."""
        return df.limit(0) if self.is_empty else tables.lookup(df, keys, key)

    @staticmethod
    def empty(docs: DataFrame, cfg: DedupConfig) -> "History":
        """No history; lookups return no rows, typed like `docs` (doc_id, text + survivor_order columns)."""
        spark = docs.sparkSession
        cols = survivor_columns(cfg)
        return History(spark.createDataFrame([], schema(GOLD_MINHASH_INDEX)),
                       spark.createDataFrame([], schema(GOLD_MINHASH_EDGES)),
                       spark.createDataFrame([], schema(GOLD_CLUSTERS)),
                       lambda _ids: docs.select("doc_id", "text").limit(0),
                       lambda _ids: docs.select(*cols).limit(0), index_files=[], is_empty=True)


@dataclass
class DedupUpdate:
    """The changes one increment makes; every frame is small unless the increment is."""

    new_index: DataFrame  # rows to append to gold/minhash_index
    dropped_buckets: DataFrame  # bucket keys whose edges are all replaced (re-rooted buckets)
    new_edges: DataFrame  # edges to append to gold/minhash_edges
    touched: DataFrame  # doc_id of every document whose cluster may have changed (old and new)
    clusters: DataFrame  # (doc_id, cluster_id) for touched documents in a cluster of two or more
    duplicates: DataFrame  # gold/duplicates rows of the touched documents that are not survivors

    def release(self) -> None:
        for df in (self.new_index, self.dropped_buckets, self.new_edges, self.touched, self.clusters,
                   self.duplicates):
            release(df)


def _verify(pairs: DataFrame, texts: DataFrame, cfg: DedupConfig) -> DataFrame:
    """Pairs (band, band_hash, doc_id, root_id) that link, with their similarity (1.0 for the same text)."""
    h = texts.select("doc_id", text_hash("text").alias("h"))
    out = (pairs.join(h.withColumnRenamed("h", "h1"), "doc_id", "left")
           .join(h.withColumnRenamed("doc_id", "root_id").withColumnRenamed("h", "h2"), "root_id", "left"))
    same = F.col("h1") == F.col("h2")
    near_band = F.col("band") != F.lit(EXACT_BAND)
    if cfg.verify_threshold is None:  # every LSH candidate links
        return out.select("band", "band_hash", "doc_id", "root_id",
                          F.when(same, F.lit(1.0)).alias("similarity"), (same | near_band).alias("_link")) \
            .where("_link").drop("_link")
    sets = shingle_sets(texts, "text", "doc_id", cfg)
    out = (out.join(sets.select(F.col("id").alias("doc_id"), F.col("shingles").alias("s1")), "doc_id", "left")
           .join(sets.select(F.col("id").alias("root_id"), F.col("shingles").alias("s2")), "root_id", "left"))
    jac = F.coalesce(exact_jaccard(F.coalesce("s1", F.array()), F.coalesce("s2", F.array())), F.lit(0.0))
    link = same | (near_band & (jac >= F.lit(cfg.verify_threshold)))
    return out.where(link).select("band", "band_hash", "doc_id", "root_id",
                                  F.when(same, F.lit(1.0)).otherwise(jac).alias("similarity"))


def _materialise(df: DataFrame) -> DataFrame:
    return df.localCheckpoint(eager=True)


def update(new_docs: DataFrame, history: History, cfg: DedupConfig, checkpoint_dir: str | None = None) -> DedupUpdate:
    """Dedup `new_docs` (doc_id, text + survivor_order columns) against `history`: the changes to write."""
    # Intermediates are materialised with local checkpoints: each later plan then starts from stored rows instead of
    # repeating (and re-analysing, at every self-join) the decisions and lookups that produced them.
    new_docs = _materialise(new_docs)
    new_rows = _materialise(bucket_rows(new_docs, cfg))
    keys = new_rows.select("band", "band_hash").distinct()
    # History rows in the new documents' buckets, reading only the index files that can hold them (bucket_lookup).
    old_rows = bucket_lookup(history.index, keys, index_files=history.index_files)
    old_roots = old_rows.groupBy("band", "band_hash").agg(F.min("doc_id").alias("old_root"))
    every = old_rows.withColumn("is_new", F.lit(False)).unionByName(new_rows.withColumn("is_new", F.lit(True)))
    roots = every.groupBy("band", "band_hash").agg(F.min("doc_id").alias("root_id"))
    rows = (every.join(roots, ["band", "band_hash"], "inner").join(old_roots, ["band", "band_hash"], "left")
            .withColumn("rerooted", F.col("old_root").isNotNull() & (F.col("old_root") != F.col("root_id"))))
    changed = rows.where(F.col("is_new") | F.col("rerooted")).where(F.col("doc_id") != F.col("root_id")) \
        .select("band", "band_hash", "doc_id", "root_id")
    changed = _materialise(changed)

    # Texts of both ends of every edge to decide: new documents' from the increment, old ones' looked up.
    ends = changed.select("doc_id").union(changed.select(F.col("root_id").alias("doc_id"))).distinct()
    new_ids = new_docs.select("doc_id")
    old_ends = ends.join(new_ids, "doc_id", "left_anti")
    texts = new_docs.join(ends, "doc_id", "left_semi").select("doc_id", "text") \
        .unionByName(history.texts(old_ends).select("doc_id", "text"))
    new_edges = _materialise(_verify(changed, texts, cfg).select(
        "doc_id", bucket_key().alias("bucket"), "root_id", "similarity"))
    dropped = _materialise(rows.where("rerooted").select(bucket_key().alias("bucket")).distinct())

    # Touched: ends of added or removed edges, and every member of their old clusters.
    removed = history.lookup(history.edges, dropped, "bucket")
    ends_changed = (new_edges.select("doc_id").union(new_edges.select(F.col("root_id").alias("doc_id")))
                    .union(removed.select("doc_id")).union(removed.select(F.col("root_id").alias("doc_id")))
                    .distinct())
    old_clusters = history.lookup(history.clusters, ends_changed, "doc_id").select("cluster_id").distinct()
    members = history.lookup(history.clusters, old_clusters, "cluster_id").select("doc_id")
    touched = _materialise(ends_changed.union(members).distinct())

    # Edges among the touched documents after the change: history's (minus re-rooted buckets) plus the new ones.
    kept_old = history.lookup(history.edges, touched, "doc_id").join(dropped, "bucket", "left_anti")
    graph = _materialise(kept_old.select("doc_id", "root_id", "similarity").unionByName(
        new_edges.select("doc_id", "root_id", "similarity")))
    comps = connected_components(graph.select(F.col("doc_id").alias("src"), F.col("root_id").alias("dst")),
                                 checkpoint_dir=checkpoint_dir, max_iter=cfg.max_iterations)
    clusters = _materialise(comps.select(F.col("id").alias("doc_id"), F.col("component").alias("cluster_id")))
    duplicates = _materialise(_duplicates(clusters, graph, new_docs, new_rows, history, cfg))
    return DedupUpdate(index_layout(new_rows), dropped, new_edges, touched, clusters, duplicates)


def _duplicates(clusters: DataFrame, graph: DataFrame, new_docs: DataFrame, new_rows: DataFrame,
                history: History, cfg: DedupConfig) -> DataFrame:
    """Non-survivors of the recomputed clusters, with survivor, similarity and exact/near stage."""
    cols = survivor_columns(cfg)
    ids = clusters.select("doc_id")
    attrs = new_docs.join(ids, "doc_id", "left_semi").select(*cols).unionByName(
        history.attrs(ids.join(new_docs.select("doc_id"), "doc_id", "left_anti")).select(*cols))
    ranked = (clusters.join(attrs, "doc_id", "inner")
              .withColumn("_rank", F.row_number().over(Window.partitionBy("cluster_id").orderBy(*_order(cfg.survivor_order))))
              .withColumn("cluster_size", F.count(F.lit(1)).over(Window.partitionBy("cluster_id"))))
    survivors = ranked.where(F.col("_rank") == 1).select("cluster_id", F.col("doc_id").alias("survivor_id"))
    # Exact copies share the exact-text bucket; its hash is the text fingerprint.
    exact = new_rows.where(F.col("band") == EXACT_BAND).join(ids, "doc_id", "left_semi").unionByName(
        history.lookup(history.index.where(F.col("band") == EXACT_BAND), ids, "doc_id")) \
        .select("doc_id", F.col("band_hash").alias("fp"))
    best = graph.select("doc_id", "similarity").unionByName(
        graph.select(F.col("root_id").alias("doc_id"), "similarity")) \
        .groupBy("doc_id").agg(F.max("similarity").alias("best"))
    dups = (ranked.where(F.col("_rank") > 1).join(survivors, "cluster_id", "inner")
            .join(exact, "doc_id", "left")
            .join(exact.select(F.col("doc_id").alias("survivor_id"), F.col("fp").alias("sfp")), "survivor_id", "left")
            .join(best, "doc_id", "left"))
    same = F.col("fp").isNotNull() & (F.col("fp") == F.col("sfp"))
    return dups.select(
        "doc_id", "cluster_id", "survivor_id",
        F.when(same, F.lit(1.0)).otherwise(F.coalesce(F.col("best"), F.lit(0.0))).alias("similarity"),
        F.when(same, F.lit(STAGE_EXACT)).otherwise(F.lit(STAGE_NEAR)).alias("stage"),
        F.col("cluster_size").cast("long").alias("cluster_size"),
    )


def full_dedup(docs: DataFrame, cfg: DedupConfig, checkpoint_dir: str | None = None) -> DedupUpdate:
    """Dedup `docs` (doc_id, text + survivor_order columns) from nothing: the same code as every refresh."""
    return update(docs, History.empty(docs, cfg), cfg, checkpoint_dir)
