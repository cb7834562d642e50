"""Train one hashed n-gram regression per Toxicity-of-the-Commons dimension and map its probability onto 0..3.

The five regressions share one feature pipeline (the toxicity classifier's recipe, fitted once on every training
text), so the saved model is one ``PipelineModel``: the feature stages, then one logistic regression per dimension,
each writing its own probability column. A seeded hash of each row's ``group`` (a HateCheck template, else the
text) holds out a validation share; on it, each dimension's three cut points are chosen (``LEVEL_BETAS``: the
F-beta optimum for beta 2, 1 and 0.5, so level 1 leans to recall, level 2 balances and level 3 leans to precision)
and saved beside the model (``DIMENSION_THRESHOLDS_FILE``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.functions import vector_to_array
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from etl.models.dimension_datasets import DIMENSIONS
from etl.models.dimension_model import DIMENSION_THRESHOLDS_FILE, regression_name
from etl.models.normalize import normalize_series
from etl.models.text_classifier import (FEATURES_COL, INPUT_COL, PREFIX, TOXIC_CLASS, ToxicityModelConfig,
                                        feature_stages, logistic_regression, probability_col, save_model)
from etl.models.thresholds import roc_auc
from etl.models.toxicity_training import SPLIT_SEED, VALIDATION_FRACTION, in_validation, tidy_saved_model

LEVEL_BETAS = (2.0, 1.0, 0.5)  # cut points for levels 1, 2, 3
CANDIDATES = np.linspace(0.005, 0.995, 199)
# Fewer iterations than the toxicity classifier (50): five regressions must fit in the 10-minute training budget.
DIMENSION_MODEL_CONFIG = ToxicityModelConfig(max_iter=30)


@dataclass
class TrainedDimensions:
    """The fitted pipeline (features + one regression per dimension), cut points and validation figures."""

    model: PipelineModel
    thresholds: dict[str, list[float]]
    datasets: list[str]
    rows: dict[str, int]
    validation: dict[str, dict] = field(default_factory=dict)

    def metadata(self) -> dict:
        return {"thresholds": self.thresholds, "datasets": self.datasets, "rows": self.rows,
                "validation": self.validation,
                "levels": "tox_model_<dimension> = number of thresholds the window maximum of P(dimension) reaches"}


def level_thresholds(gold, scores) -> list[float]:
    """Three increasing cut points: the F-beta optimum for each of LEVEL_BETAS."""
    gold = np.asarray(gold, dtype=bool)
    predicted = np.asarray(scores)[None, :] >= CANDIDATES[:, None]
    tp = (predicted & gold).sum(axis=1)
    fp = (predicted & ~gold).sum(axis=1)
    fn = gold.sum() - tp
    cuts = []
    for beta in LEVEL_BETAS:
        b2 = beta * beta
        f = (1 + b2) * tp / np.maximum((1 + b2) * tp + b2 * fn + fp, 1)
        cuts.append(float(CANDIDATES[int(np.argmax(f))]))
    return [round(float(c), 4) for c in np.maximum.accumulate(cuts)]


def score_dimensions(spark: SparkSession, model: PipelineModel, texts: pd.Series) -> pd.DataFrame:
    """P(dimension) per text (already normalised), one column per dimension, in input order."""
    frame = pd.DataFrame({"row": np.arange(len(texts)), INPUT_COL: texts.to_numpy()})
    rows = spark.createDataFrame(frame, f"row long, {INPUT_COL} string").cache()
    try:
        probabilities = [vector_to_array(F.col(probability_col(regression_name(d))))[TOXIC_CLASS].alias(d)
                         for d in DIMENSIONS]
        out = model.transform(rows).select("row", *probabilities).toPandas()
    finally:
        rows.unpersist()
    return out.sort_values("row").reset_index(drop=True)[list(DIMENSIONS)]


def fit_dimensions(spark: SparkSession, rows: pd.DataFrame, cfg: ToxicityModelConfig = DIMENSION_MODEL_CONFIG,
                   validation_fraction: float = VALIDATION_FRACTION, seed: int = SPLIT_SEED,
                   dimensions: tuple[str, ...] = DIMENSIONS) -> TrainedDimensions:
    """Fit on ``etl.models.dimension_datasets`` rows; choose each dimension's cut points on the held-out groups."""
    rows = rows.assign(text=normalize_series(rows["text"].reset_index(drop=True)).to_numpy())
    held = in_validation(rows["group"].astype(str), validation_fraction, seed)
    train, validation = rows[~held].reset_index(drop=True), rows[held].reset_index(drop=True)
    label_cols = {d: f"{PREFIX}y_{d}" for d in dimensions}
    frame = train[["text", *dimensions]].rename(columns={"text": INPUT_COL, **label_cols})
    schema = ", ".join([f"{INPUT_COL} string", *[f"{label_cols[d]} double" for d in dimensions]])
    training = spark.createDataFrame(frame, schema).persist()
    try:
        features = Pipeline(stages=feature_stages(cfg)).fit(training)
        featurised = features.transform(training).select(FEATURES_COL, *label_cols.values()).persist()
        regressions = [logistic_regression(cfg, label_cols[d], regression_name(d)).fit(
            featurised.where(F.col(label_cols[d]).isNotNull())) for d in dimensions]
        featurised.unpersist()
    finally:
        training.unpersist()
    model = PipelineModel([*features.stages, *regressions])
    scores = score_dimensions(spark, model, validation["text"]) if len(validation) else None
    thresholds, report = {}, {}
    for d in dimensions:
        known = validation[d].notna().to_numpy() if scores is not None else np.zeros(0, bool)
        gold, got = validation[d].to_numpy()[known], scores[d].to_numpy()[known] if scores is not None else []
        thresholds[d] = level_thresholds(gold, got) if len(gold) else [0.5, 0.5, 0.5]
        report[d] = {"n": int(len(gold)), "positives": int(np.sum(gold)),
                     "roc_auc": round(roc_auc(gold, got), 4) if 0 < np.sum(gold) < len(gold) else None}
    return TrainedDimensions(model, thresholds, sorted(rows["dataset"].unique()),
                             {"train": int(len(train)), "validation": int(len(validation))}, report)


def save_dimensions(trained: TrainedDimensions, path: str, overwrite: bool = False) -> None:
    """The pipeline at ``path`` (tidied like the toxicity model) and its cut points beside it."""
    save_model(trained.model, path, overwrite=overwrite)
    local = Path(path.removeprefix("file:"))
    if local.is_dir():
        tidy_saved_model(local)
        (local / DIMENSION_THRESHOLDS_FILE).write_text(json.dumps(trained.metadata(), indent=2) + "\n",
                                                      encoding="utf-8")
