"""Score the five Toxicity-of-the-Commons dimensions with the bundled per-dimension model, per bounded window.

Each window (``etl.models.windows``, the first ``MODEL_MAX_WINDOWS``) is featurised once, shared with the toxicity
classifier (``etl.models.window_scoring``), and scored by the five regressions; a dimension's probability is its
maximum over the windows, mapped onto 0..3 by the cut points saved beside the model (``etl.models.dimension_training``). The maximum, not a sum: a long page of sentences that only
mention groups scores no higher than its worst window.
"""

from __future__ import annotations

import json
from importlib.abc import Traversable

from pyspark.ml import PipelineModel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from etl import bundled
from etl.catalog import TOXICITY_DIMENSIONS as DIMENSIONS
from etl.models.text_classifier import load_bundled_model, probability_col
from etl.models.window_scoring import DOC_KEY, WindowHead, score_windows

DIMENSION_THRESHOLDS_FILE = "etl_dimension_thresholds.json"
COLUMN_PREFIX = "tox_model_"  # tox_model_<dimension>, an int 0..3
PROBABILITY_PREFIX = "_toxdp_"  # a dimension's window-maximum probability, before its level
_LOADED: dict[int, tuple[PipelineModel, dict[str, list[float]]]] = {}


def regression_name(dimension: str) -> str:
    """The name of a dimension's regression in the pipeline (its output columns start with it)."""
    return f"{dimension}_"


def dimension_column(dimension: str) -> str:
    """The silver column of one dimension's model score."""
    return f"{COLUMN_PREFIX}{dimension}"


def bundled_dimensions_model() -> Traversable:
    """The shipped model's folder (a directory, or a folder inside the zip executors import ``etl`` from)."""
    return bundled.resource(bundled.TOXICITY_DIMENSIONS_MODEL)


def load_dimensions_model(spark: SparkSession, folder: Traversable | None = None
                          ) -> tuple[PipelineModel, dict[str, list[float]]]:
    """The pipeline and its cut points; the bundled one is read once per Spark session."""
    if folder is not None:
        thresholds = json.loads((folder / DIMENSION_THRESHOLDS_FILE).read_text(encoding="utf-8"))["thresholds"]
        return load_bundled_model(spark, folder), thresholds
    key = id(spark)
    if key not in _LOADED:
        _LOADED.clear()
        _LOADED[key] = load_dimensions_model(spark, bundled_dimensions_model())
    return _LOADED[key]


def level(probability: F.Column, cuts: list[float]) -> F.Column:
    """0..3: how many of the increasing cut points ``probability`` reaches (null stays null)."""
    return sum((probability >= F.lit(cut)).cast("int") for cut in cuts)


def dimensions_head(model: PipelineModel) -> WindowHead:
    """The five regressions as one window head: each dimension's probability into a temporary column."""
    return WindowHead(model, {probability_col(regression_name(d)): f"{PROBABILITY_PREFIX}{d}" for d in DIMENSIONS})


def with_levels(df: DataFrame, thresholds: dict[str, list[float]]) -> DataFrame:
    """``dimensions_head``'s probabilities (window maxima) -> ``tox_model_<dimension>`` levels 0..3."""
    for d in DIMENSIONS:
        df = df.withColumn(dimension_column(d), level(F.col(f"{PROBABILITY_PREFIX}{d}"), thresholds[d]))
    return df.drop(*[f"{PROBABILITY_PREFIX}{d}" for d in DIMENSIONS])


def apply_dimensions_windowed(df: DataFrame, model: PipelineModel, thresholds: dict[str, list[float]],
                              text_col: str = "text", key_col: str = DOC_KEY) -> DataFrame:
    """``df`` plus ``tox_model_<dimension>`` (int 0..3) for every dimension: the level of the highest probability
    over the text's windows. None text scores like empty text (one empty window)."""
    return with_levels(score_windows(df, [dimensions_head(model)], key_col, text_col), thresholds)
