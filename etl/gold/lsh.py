"""MinHash-LSH building blocks on Spark: band hashes and shingle sets per Arrow batch, star edges per bucket.

etl.gold.dedup composes them into the incremental dedup every refresh, eval and bench runs.

Python runs once per Arrow batch (``mapInArrow``) with one ``MinHasher`` per Python worker; everything after the
band hashes is native Spark SQL (group by bucket, join, higher-order functions for Jaccard).
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from etl.config import DedupConfig
from etl.gold.minhash import MinHasher, band_hashes, optimal_bands_rows


def bands_rows(cfg: DedupConfig) -> tuple[int, int]:
    """(bands, rows) to use: the config's pair if given (checked to equal num_perm when it was built), else
    datasketch's optimum for (threshold, num_perm)."""
    if cfg.bands is not None and cfg.rows is not None:
        return cfg.bands, cfg.rows
    return optimal_bands_rows(cfg.threshold, cfg.num_perm)


# One MinHasher per Python worker and hashing parameters: its permutations are built once, not per batch or task
# (Spark reuses Python workers across tasks by default).
_HASHERS: dict[tuple, MinHasher] = {}


def _hasher(cfg: DedupConfig) -> MinHasher:
    key = (cfg.num_perm, cfg.seed, cfg.ngram, cfg.mode, cfg.kind)
    hasher = _HASHERS.get(key)
    if hasher is None:
        hasher = _HASHERS[key] = MinHasher(cfg)
    return hasher


def _id_text(df: DataFrame, text_col: str, id_col: str) -> DataFrame:
    """Only the two columns the Python side needs (less Arrow traffic); rows without an id cannot be clustered."""
    return df.where(F.col(id_col).isNotNull()).select(F.col(id_col).alias("id"), F.col(text_col).alias("text"))


def _band_rows(ids: pa.Array, bands: np.ndarray) -> pa.RecordBatch:
    """Long format: one row per (document, band)."""
    n, b = bands.shape
    return pa.RecordBatch.from_arrays(
        [
            ids.take(pa.array(np.repeat(np.arange(n), b))),
            pa.array(np.tile(np.arange(b, dtype=np.int32), n)),
            pa.array(bands.ravel()),
        ],
        names=["id", "band", "band_hash"],
    )


def _bands_schema(id_type: T.DataType) -> T.StructType:
    return T.StructType(
        [
            T.StructField("id", id_type, False),
            T.StructField("band", T.IntegerType(), False),
            T.StructField("band_hash", T.LongType(), False),
        ]
    )


def _id_array_schema(id_type: T.DataType, name: str, element: T.DataType) -> T.StructType:
    """(id, name: array<element>), neither nullable: the schema of a per-document array column."""
    return T.StructType([T.StructField("id", id_type, False),
                         T.StructField(name, T.ArrayType(element, False), False)])


def _id_array_batch(ids: pa.Array, offsets: np.ndarray, values: np.ndarray, name: str) -> pa.RecordBatch:
    """One Arrow batch of (id, name) from flat values and their per-document offsets (no per-row Python)."""
    return pa.RecordBatch.from_arrays([ids, pa.ListArray.from_arrays(pa.array(offsets), pa.array(values))],
                                      names=["id", name])


def minhash_bands(df: DataFrame, text_col: str, id_col: str, cfg: DedupConfig) -> DataFrame:
    """DataFrame[id, band: int, band_hash: long] straight from text: one row per band of each non-empty document."""
    bands, rows = bands_rows(cfg)

    def compute(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        hasher = _hasher(cfg)
        for batch in batches:
            signatures, empty = hasher.signatures_with_empty(batch.column(1).to_pylist())
            keep = np.flatnonzero(~empty)
            yield _band_rows(batch.column(0).take(pa.array(keep)), band_hashes(signatures[keep], bands, rows))

    return _id_text(df, text_col, id_col).mapInArrow(compute, _bands_schema(df.schema[id_col].dataType))


def shingle_sets(df: DataFrame, text_col: str, id_col: str, cfg: DedupConfig) -> DataFrame:
    """DataFrame[id, shingles: array<bigint>]: each document's distinct shingles as 64-bit hashes (sorted)."""
    def compute(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        hasher = _hasher(cfg)
        for batch in batches:
            values, lengths = hasher.shingle_sets(batch.column(1).to_pylist())
            offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int32)
            yield _id_array_batch(batch.column(0), offsets, values.view(np.int64), "shingles")

    schema = _id_array_schema(df.schema[id_col].dataType, "shingles", T.LongType())
    return _id_text(df, text_col, id_col).mapInArrow(compute, schema)


def exact_jaccard(left: str | F.Column, right: str | F.Column) -> F.Column:
    """Native column expression: |A ∩ B| / |A ∪ B| of two arrays of distinct values (0 when both are empty)."""
    a = F.col(left) if isinstance(left, str) else left
    b = F.col(right) if isinstance(right, str) else right
    union = F.size(F.array_union(a, b))
    return F.when(union > 0, F.size(F.array_intersect(a, b)) / union).otherwise(F.lit(0.0))


