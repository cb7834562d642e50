"""Subset flags (is_code, is_math, is_qa) from stored silver signals, with the catalog's thresholds.

Scores in silver, decisions in gold: each flag is etl.catalog.Subset's clauses as one Spark SQL expression (any
clause whose criteria all hold; a null signal never holds), so gold/documents carries the flags and a new threshold
(gold.subset_thresholds) needs a gold rebuild, never a new silver pass.
"""

from __future__ import annotations

from typing import Iterable

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from etl.catalog import OPERATORS, SUBSETS, Subset
from etl.config import GoldConfig

SUBSET_COLUMNS = tuple(subset.column for subset in SUBSETS)


def subset_flag(subset: Subset, thresholds: dict[str, float] | None = None,
                columns: Iterable[str] | None = None) -> Column:
    """True when the document is in ``subset``, never null: a missing signal (a null value, or a column absent from
    ``columns``, as in a silver table scored before the signal existed) does not hold."""
    expr = F.lit(False)
    for clause in subset.clauses:
        held = F.lit(True)
        for c in clause:
            if columns is not None and c.signal not in columns:
                held = F.lit(False)
                continue
            cond = OPERATORS[c.op](F.col(c.signal), F.lit(subset.threshold(c, thresholds)))
            held = held & F.coalesce(cond, F.lit(False))
        expr = expr | held
    return expr


def with_subset_flags(df: DataFrame, cfg: GoldConfig) -> DataFrame:
    """``df`` (silver columns) plus one boolean column per catalog subset."""
    return df.withColumns({s.column: subset_flag(s, cfg.subset_thresholds, df.columns) for s in SUBSETS})
