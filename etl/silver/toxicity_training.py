"""Train the toxicity classifier on a recipe of labelled datasets and choose its decision thresholds.

One code path for ``jobs/train_toxicity.py`` and ``evals/toxicity_generalisation_eval.py``: texts are normalised
as silver normalises them, a seeded hash of each text holds out a validation share of every dataset (duplicates
share a side), the model is fitted on the rest, and the thresholds (one for any language, one per language with
enough validation rows) maximise macro-F1 averaged over the validation datasets. The thresholds are saved beside
the model (``THRESHOLDS_FILE``) and printed as the config lines that make gold use them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pyspark.ml import PipelineModel
from pyspark.sql import SparkSession

from etl.config import MODEL_SCORE_RULE, MODEL_THRESHOLDS_FILE as THRESHOLDS_FILE
from etl.silver.normalize import normalize_series
from etl.silver.toxicity_datasets import DATASETS
from etl.silver.toxicity_model import MODEL_SCORE_COL, ToxicityModelConfig, apply_model, train_toxicity_model
from etl.silver.toxicity_thresholds import ANY_LANGUAGE, choose_thresholds, classification_report, roc_auc, threshold_for

VALIDATION_FRACTION = 0.15
SPLIT_SEED = 42
SPLIT_BUCKETS = 10_000


@dataclass
class TrainedModel:
    """A fitted model, its thresholds and what validation said about them."""

    model: PipelineModel
    thresholds: dict[str, float]
    datasets: list[str]
    rows: dict[str, int]
    validation: dict[str, dict] = field(default_factory=dict)

    def metadata(self) -> dict:
        return {"thresholds": self.thresholds, "datasets": self.datasets, "rows": self.rows,
                "validation": self.validation, "decision": "toxic when tox_model_score > threshold"}


def in_validation(texts: pd.Series, fraction: float = VALIDATION_FRACTION, seed: int = SPLIT_SEED) -> np.ndarray:
    """Seeded, stable across runs and machines; identical texts always land on the same side."""
    cut = fraction * SPLIT_BUCKETS
    return np.array([
        int.from_bytes(hashlib.sha1(f"{seed}:{t}".encode()).digest()[:8], "big") % SPLIT_BUCKETS < cut
        for t in texts
    ], dtype=bool)


def score_texts(spark: SparkSession, model: PipelineModel, texts: pd.Series) -> np.ndarray:
    """P(toxic) for already-normalised texts, in input order."""
    frame = pd.DataFrame({"row": np.arange(len(texts)), "text": texts.to_numpy()})
    # Cached: a local frame would otherwise let the optimiser run the n-gram stages on the driver.
    rows = spark.createDataFrame(frame, "row long, text string").cache()
    try:
        scored = apply_model(rows, model).select("row", MODEL_SCORE_COL).toPandas()
    finally:
        rows.unpersist()
    return scored.sort_values("row")[MODEL_SCORE_COL].to_numpy()


def normalised(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with ``text`` normalised as silver does before scoring."""
    return frame.assign(text=normalize_series(frame["text"].reset_index(drop=True)).to_numpy())


def fit(spark: SparkSession, labelled: pd.DataFrame, cfg: ToxicityModelConfig = ToxicityModelConfig(),
        validation_fraction: float = VALIDATION_FRACTION, seed: int = SPLIT_SEED) -> TrainedModel:
    """Fit on ``text, label, language, dataset`` rows (see etl.silver.toxicity_datasets) and choose thresholds."""
    labelled = normalised(labelled.reset_index(drop=True))
    # Template and lexicon rows only ever train: thresholds are chosen on real text.
    real = labelled["dataset"].map(lambda name: DATASETS[name].real if name in DATASETS else True).to_numpy(bool)
    held = in_validation(labelled["text"], validation_fraction, seed)
    held &= real if real.any() else held  # templates alone (an experiment): validate on them rather than on nothing
    train, validation = labelled[~held], labelled[held].reset_index(drop=True)
    training = spark.createDataFrame(train[["text", "label"]], "text string, label int")
    model = train_toxicity_model(training, cfg=cfg)
    scores = score_texts(spark, model, validation["text"])
    thresholds = choose_thresholds(validation["label"], scores, validation["language"], validation["dataset"])
    report = {}
    for name, part in validation.groupby("dataset"):
        idx = part.index.to_numpy()
        cut = np.array([threshold_for(thresholds, lang) for lang in part["language"]])
        report[name] = {**classification_report(part["label"], scores[idx] > cut),
                        "roc_auc": round(roc_auc(part["label"], scores[idx]), 4)}
    return TrainedModel(model, thresholds, sorted(labelled["dataset"].unique()),
                        {"train": int(len(train)), "validation": int(len(validation))}, report)


def save(trained: TrainedModel, path: str, overwrite: bool = False) -> None:
    """The Spark ML model at ``path`` and its thresholds beside it (local paths; remote stores get the model only)."""
    from etl.silver.toxicity_model import save_model

    save_model(trained.model, path, overwrite=overwrite)
    local = Path(path[len("file:"):] if path.startswith("file:") else path)
    if local.is_dir():
        (local / THRESHOLDS_FILE).write_text(json.dumps(trained.metadata(), indent=2) + "\n", encoding="utf-8")


def config_lines(thresholds: dict[str, float]) -> list[str]:
    """The YAML that makes gold apply these thresholds (rule ``toxicity:model_score``)."""
    lines = ["gold:", f"  max_model_toxicity: {thresholds[ANY_LANGUAGE]}"]
    per_language = {k: v for k, v in thresholds.items() if k != ANY_LANGUAGE}
    if per_language:
        lines.append("  language_overrides:")
        lines += [f"    {lang}: {{'{MODEL_SCORE_RULE}': {value}}}" for lang, value in sorted(per_language.items())]
    return lines

