"""MinHash-LSH building blocks on Spark: band hashes and shingle sets per Arrow batch, star edges per bucket.

etl.gold.dedup composes them into the incremental dedup every refresh, eval and bench runs.

Python runs once per Arrow batch (``mapInArrow``) with one ``MinHasher`` per Python worker; everything after the
band hashes is native Spark SQL (group by bucket, join, higher-order functions for Jaccard).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np
import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from etl.config import DedupConfig
from etl.gold.minhash import MinHasher, band_hashes, optimal_bands_rows


VERIFY_METHODS = ("exact",)


_PRODUCT = DedupConfig()  # one set of defaults: the user-facing config's


@dataclass(frozen=True)
class LSHConfig:
    """Near-dedup parameters (defaults: etl.config.DedupConfig's). bands/rows default to datasketch's optimum for
    (threshold, num_perm)."""

    num_perm: int = _PRODUCT.num_perm
    seed: int = _PRODUCT.seed
    ngram: int = _PRODUCT.ngram
    kind: str = _PRODUCT.kind  # "word" | "char" | "auto" (char n-grams for text written without spaces)
    mode: str = _PRODUCT.mode  # "fast" | "datasketch" (bit-identical to datasketch.MinHash, ~4x slower)
    threshold: float = _PRODUCT.threshold  # Jaccard similarity the banding is tuned for
    bands: int | None = None
    rows: int | None = None
    # Drop candidate edges whose Jaccard is below this; None keeps every candidate.
    verify_threshold: float | None = _PRODUCT.verify_threshold
    # How a candidate's Jaccard is measured: "exact" compares the two documents' shingle sets (64-bit hashes).
    verify_method: str = _PRODUCT.verify_method

    def __post_init__(self) -> None:
        if self.verify_method not in VERIFY_METHODS:
            raise ValueError(f"verify_method must be one of {VERIFY_METHODS}, got {self.verify_method!r}")

    def bands_rows(self) -> tuple[int, int]:
        """(bands, rows) to use: the explicit pair if given, else ``optimal_bands_rows(threshold, num_perm)``."""
        if (self.bands is None) != (self.rows is None):
            raise ValueError("set both bands and rows, or neither")
        if self.bands is None or self.rows is None:
            return optimal_bands_rows(self.threshold, self.num_perm)
        if self.bands < 1 or self.rows < 1 or self.bands * self.rows > self.num_perm:
            raise ValueError(f"bands*rows = {self.bands}*{self.rows} must be in [1, num_perm={self.num_perm}]")
        return self.bands, self.rows


# One MinHasher per Python worker and config: its permutations are built once, not per batch or task
# (Spark reuses Python workers across tasks by default).
_HASHERS: dict[tuple, MinHasher] = {}


def _hasher(cfg: LSHConfig) -> MinHasher:
    key = (cfg.num_perm, cfg.seed, cfg.ngram, cfg.mode, cfg.kind)
    hasher = _HASHERS.get(key)
    if hasher is None:
        hasher = _HASHERS[key] = MinHasher(cfg.num_perm, cfg.seed, cfg.ngram, cfg.mode, cfg.kind)  # type: ignore[arg-type]
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


def minhash_bands(df: DataFrame, text_col: str, id_col: str, cfg: LSHConfig) -> DataFrame:
    """DataFrame[id, band: int, band_hash: long] straight from text: one row per band of each non-empty document."""
    bands, rows = cfg.bands_rows()

    def compute(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        hasher = _hasher(cfg)
        for batch in batches:
            signatures, empty = hasher.signatures_with_empty(batch.column(1).to_pylist())
            keep = np.flatnonzero(~empty)
            yield _band_rows(batch.column(0).take(pa.array(keep)), band_hashes(signatures[keep], bands, rows))

    return _id_text(df, text_col, id_col).mapInArrow(compute, _bands_schema(df.schema[id_col].dataType))


def shingle_sets(df: DataFrame, text_col: str, id_col: str, cfg: LSHConfig) -> DataFrame:
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


