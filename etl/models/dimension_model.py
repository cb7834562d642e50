"""Score the five Toxicity-of-the-Commons dimensions with the bundled per-dimension model, per bounded window.

Each window (``etl.models.windows``, the first ``MODEL_MAX_WINDOWS``) is featurised once and scored by the five
regressions; a dimension's probability is its maximum over the windows, mapped onto 0..3 by the cut points saved
beside the model (``etl.models.dimension_training``). The maximum, not a sum: a long page of sentences that only
mention groups scores no higher than its worst window.
"""

from __future__ import annotations

import json
from importlib.abc import Traversable

from pyspark.ml import PipelineModel
from pyspark.ml.functions import vector_to_array
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from etl import bundled
from etl.catalog import TOXICITY_DIMENSIONS as DIMENSIONS
from etl.models.text_classifier import INPUT_COL, PREFIX, TOXIC_CLASS, load_bundled_model, probability_col
from etl.models.windows import MODEL_MAX_WINDOWS, window_column

DIMENSION_THRESHOLDS_FILE = "etl_dimension_thresholds.json"
COLUMN_PREFIX = "tox_model_"  # tox_model_<dimension>, an int 0..3
WINDOW_PREFIX = "_toxdw_"
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


def apply_dimensions_windowed(df: DataFrame, model: PipelineModel, thresholds: dict[str, list[float]],
                              text_col: str = "text", max_windows: int = MODEL_MAX_WINDOWS) -> DataFrame:
    """``df`` plus ``tox_model_<dimension>`` (int 0..3) for every dimension: the level of the highest probability
    over the text's first ``max_windows`` windows. None text scores like empty text (one empty window)."""
    if text_col not in df.columns:
        raise ValueError(f"no text column {text_col!r} (columns: {', '.join(df.columns)})")
    windows = f"{WINDOW_PREFIX}windows"
    scored = df.withColumn(windows, window_column(text_col))
    per_window: dict[str, list[str]] = {d: [] for d in DIMENSIONS}
    for i in range(max_windows):
        window = f"{WINDOW_PREFIX}window"
        present = F.col(window).isNotNull()
        scored = model.transform(scored.withColumn(window, F.try_element_at(windows, F.lit(i + 1)))
                                 .withColumn(INPUT_COL, F.col(window)))
        for d in DIMENSIONS:
            name = f"{WINDOW_PREFIX}{d}{i}"
            scored = scored.withColumn(name, F.when(present, vector_to_array(
                F.col(probability_col(regression_name(d))))[TOXIC_CLASS]))
            per_window[d].append(name)
        scored = scored.drop(window, *[c for c in scored.columns if c.startswith(PREFIX) and c not in df.columns])
    for d in DIMENSIONS:
        best = F.greatest(*[F.col(c) for c in per_window[d]]) if max_windows > 1 else F.col(per_window[d][0])
        scored = scored.withColumn(dimension_column(d), level(best, thresholds[d]))
    return scored.drop(windows, *[c for cols in per_window.values() for c in cols])
