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
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib.abc import Traversable
from pathlib import Path

import numpy as np
import pandas as pd
from pyspark.ml import PipelineModel
from pyspark.sql import SparkSession

from etl.config import BUNDLED_TOXICITY_MODEL, MODEL_SCORE_RULE, MODEL_THRESHOLDS_FILE as THRESHOLDS_FILE, \
    bundled_toxicity_model, toxicity_model_source
from etl.models.normalize import normalize_series
from etl.models.toxicity_datasets import DATASETS
from etl.models.text_classifier import MODEL_SCORE_COL, ToxicityModelConfig, apply_model, train_toxicity_model
from etl.models.thresholds import ANY_LANGUAGE, choose_thresholds, classification_report, roc_auc, threshold_for

VALIDATION_FRACTION = 0.15
SPLIT_SEED = 42
SPLIT_BUCKETS = 10_000
HADOOP_CRC_SUFFIX = ".crc"
HADOOP_SUCCESS_MARKER = "_SUCCESS"
STABLE_DATA_PART = "part-00000.snappy.parquet"
STABLE_METADATA_PART = "part-00000"


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


def thresholds_and_report(validation: pd.DataFrame, scores: np.ndarray) -> tuple[dict[str, float], dict]:
    """Thresholds chosen on validation rows (``label, language, dataset``, index 0..n-1) and their figures per
    dataset at those thresholds: what every toxicity model saves beside itself."""
    thresholds = choose_thresholds(validation["label"], scores, validation["language"], validation["dataset"])
    report = {}
    for name, part in validation.groupby("dataset"):
        idx = part.index.to_numpy()
        cut = np.array([threshold_for(thresholds, lang) for lang in part["language"]])
        report[name] = {**classification_report(part["label"], scores[idx] > cut),
                        "roc_auc": round(roc_auc(part["label"], scores[idx]), 4)}
    return thresholds, report


def fit(spark: SparkSession, labelled: pd.DataFrame, cfg: ToxicityModelConfig = ToxicityModelConfig(),
        validation_fraction: float = VALIDATION_FRACTION, seed: int = SPLIT_SEED) -> TrainedModel:
    """Fit on ``text, label, language, dataset`` rows (see etl.models.toxicity_datasets) and choose thresholds."""
    labelled = normalised(labelled.reset_index(drop=True))
    # Template and lexicon rows only ever train: thresholds are chosen on real text.
    real = labelled["dataset"].map(lambda name: DATASETS[name].real if name in DATASETS else True).to_numpy(bool)
    held = in_validation(labelled["text"], validation_fraction, seed)
    held &= real if real.any() else held  # templates alone (an experiment): validate on them rather than on nothing
    train, validation = labelled[~held], labelled[held].reset_index(drop=True)
    training = spark.createDataFrame(train[["text", "label"]], "text string, label int")
    model = train_toxicity_model(training, cfg=cfg)
    scores = score_texts(spark, model, validation["text"])
    thresholds, report = thresholds_and_report(validation, scores)
    return TrainedModel(model, thresholds, sorted(labelled["dataset"].unique()),
                        {"train": int(len(train)), "validation": int(len(validation))}, report)


def save(trained: TrainedModel, path: str, overwrite: bool = False) -> None:
    """The Spark ML model at ``path`` and its thresholds beside it (local paths; remote stores get the model only)."""
    from etl.models.text_classifier import save_model

    save_model(trained.model, path, overwrite=overwrite)
    local = Path(path[len("file:"):] if path.startswith("file:") else path)
    if local.is_dir():
        tidy_saved_model(local)
        (local / THRESHOLDS_FILE).write_text(json.dumps(trained.metadata(), indent=2) + "\n", encoding="utf-8")


def tidy_saved_model(folder: Path) -> None:
    """Drop Hadoop's checksum and marker files and give each data file a fixed name, so a model saved into the
    package (etl/resources) holds only what loading reads. Spark reads the folder the same either way."""
    for path in sorted(folder.rglob("*")):
        if path.is_file() and (path.name.endswith(HADOOP_CRC_SUFFIX) or path.name == HADOOP_SUCCESS_MARKER):
            path.unlink()
    for kind, stable in (("data", STABLE_DATA_PART), ("metadata", STABLE_METADATA_PART)):
        for part_dir in folder.rglob(kind):
            parts = sorted(part_dir.glob("part-*"))
            if len(parts) == 1:
                parts[0].rename(part_dir / stable)


def config_lines(thresholds: dict[str, float]) -> list[str]:
    """The YAML that makes gold apply these thresholds (rule ``toxicity:model_score``)."""
    lines = ["gold:", f"  max_model_toxicity: {thresholds[ANY_LANGUAGE]}"]
    per_language = {k: v for k, v in thresholds.items() if k != ANY_LANGUAGE}
    if per_language:
        lines.append("  language_overrides:")
        lines += [f"    {lang}: {{'{MODEL_SCORE_RULE}': {value}}}" for lang, value in sorted(per_language.items())]
    return lines


# --- what the dataset card says about the model -----------------------------------------------------


def _files(folder: Traversable) -> Iterator[Traversable]:
    for item in folder.iterdir():
        if item.is_dir():
            yield from _files(item)
        else:
            yield item


def model_facts(model_path: str | None) -> dict | None:
    """The toxicity model a run scored with, for the dataset card: which one, its size, the sets it was trained on
    (with their licences) and its validation figures, from the thresholds file saved beside it. None when off."""
    from etl.io.sources import has_scheme, local_path

    source = toxicity_model_source(model_path)
    if source is None:
        return None
    facts: dict = {"source": source, "bundled": source == BUNDLED_TOXICITY_MODEL}
    if has_scheme(source):
        return facts
    folder = bundled_toxicity_model() if facts["bundled"] else Path(local_path(source))
    if not folder.is_dir():
        return facts
    facts["size_bytes"] = sum(len(f.read_bytes()) for f in _files(folder))
    meta_file = folder / THRESHOLDS_FILE
    if meta_file.is_file():
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        facts["datasets"] = [{"name": n, "language": DATASETS[n].language if n in DATASETS else None,
                              "licence": DATASETS[n].licence if n in DATASETS else "your data"}
                             for n in meta.get("datasets", [])]
        facts["validation"] = {n: {k: m.get(k) for k in ("roc_auc", "macro_f1", "n")}
                               for n, m in meta.get("validation", {}).items()}
        facts["rows"] = meta.get("rows")
    return facts
