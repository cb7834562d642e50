"""Training a quality classifier in the DCLM / FineWeb-Edu style: reference text the user trusts vs the crawl.

Positives are the user's reference documents (text files, JSONL or Parquet with a ``text`` field); negatives are
documents sampled from the lake's silver table, on the assumption that most of the crawl is not reference quality.
The model is the same character/word n-gram logistic regression as the toxicity classifier (Spark ML, so it runs
in the JVM with no per-worker loading); silver applies it as the ``quality_model_score`` scorer, and gold drops on
it only when ``gold.min_quality_score`` is set (scores are stored, thresholds decide later).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pyspark.ml import PipelineModel
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from etl import tables
from etl.models.normalize import normalize_series
from etl.models.text_classifier import ToxicityModelConfig, save_model, train_toxicity_model
from etl.models.thresholds import roc_auc
from etl.models.toxicity_training import in_validation, score_texts
from etl.table_specs import SILVER_DOCUMENTS

METADATA_FILE = "etl_quality_model.json"  # beside the model: what it was trained on and how it validated
VALIDATION_FRACTION = 0.2
NEGATIVES_PER_POSITIVE = 1.0  # class balance: as many crawl documents as reference documents
MIN_CHARS = 200  # shorter texts carry too few n-grams to say anything about quality
SAMPLE_SEED = 7
# Longer documents than the toxicity model sees: quality is a property of the whole page, not of a phrase.
QUALITY_MODEL_CONFIG = ToxicityModelConfig(max_chars=20_000, mask_links_and_mentions=False)
TEXT_SUFFIXES = (".txt",)
JSONL_SUFFIXES = (".jsonl", ".json", ".jsonl.gz", ".json.gz")


@dataclass
class QualityModel:
    """A fitted quality classifier and what its validation split said."""

    model: PipelineModel
    rows: dict[str, int]
    validation: dict[str, float] = field(default_factory=dict)

    def metadata(self) -> dict:
        return {"rows": self.rows, "validation": self.validation,
                "score": "quality_model_score = P(text is like the reference set)"}


def read_reference(paths: list[str]) -> pd.Series:
    """Reference texts from .txt files (one document each, or a directory of them), JSONL(.gz) or Parquet with a
    ``text`` field; texts shorter than MIN_CHARS are left out."""
    texts: list[str] = []
    for item in paths:
        path = Path(item)
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            name = file.name.lower()
            if name.endswith(TEXT_SUFFIXES):
                texts.append(file.read_text(encoding="utf-8", errors="replace"))
            elif name.endswith(JSONL_SUFFIXES):
                texts += pd.read_json(file, lines=True)["text"].dropna().astype(str).tolist()
            elif name.endswith(".parquet"):
                texts += pd.read_parquet(file, columns=["text"])["text"].dropna().astype(str).tolist()
            elif not path.is_dir():
                raise ValueError(f"{file}: reference files are .txt, .jsonl(.gz) or .parquet")
    series = pd.Series(texts, dtype=object)
    return series[series.str.len() >= MIN_CHARS].reset_index(drop=True)


def crawl_sample(spark: SparkSession, lake: str, n: int, seed: int = SAMPLE_SEED) -> pd.Series:
    """``n`` silver texts chosen by a seeded hash of doc_id (the same sample on every run of the same lake)."""
    silver = tables.read(spark, lake, SILVER_DOCUMENTS)
    rows = (silver.where(F.length("text") >= MIN_CHARS)
            .orderBy(F.xxhash64(F.col("doc_id"), F.lit(seed))).limit(n).select("text").collect())
    return pd.Series([r.text for r in rows], dtype=object)


def train_quality_model(spark: SparkSession, positives: pd.Series, negatives: pd.Series,
                        validation_fraction: float = VALIDATION_FRACTION) -> QualityModel:
    """Fit on normalised texts (label 1 = reference), holding out a seeded hash share of each class for an AUC."""
    if positives.empty or negatives.empty:
        raise ValueError(f"need reference and crawl texts, got {len(positives)} and {len(negatives)}")
    texts = pd.concat([normalize_series(positives), negatives], ignore_index=True)
    labels = np.r_[np.ones(len(positives), dtype=int), np.zeros(len(negatives), dtype=int)]
    held = in_validation(texts, validation_fraction)
    train = pd.DataFrame({"text": texts[~held].to_numpy(), "label": labels[~held]})
    model = train_toxicity_model(spark.createDataFrame(train, "text string, label int"), cfg=QUALITY_MODEL_CONFIG)
    rows = {"reference": int(len(positives)), "crawl": int(len(negatives)), "validation": int(held.sum())}
    validation = {}
    if held.any() and len(set(labels[held])) == 2:
        scores = score_texts(spark, model, texts[held].reset_index(drop=True))
        validation = {"auc": round(roc_auc(labels[held], scores), 4)}
    return QualityModel(model, rows, validation)


def save_quality_model(trained: QualityModel, path: str, overwrite: bool = False) -> None:
    """The Spark ML model, and its metadata file beside it when the path is local."""
    save_model(trained.model, path, overwrite)
    local = Path(path.removeprefix("file:"))
    if local.is_dir():
        (local / METADATA_FILE).write_text(json.dumps(trained.metadata(), indent=2), encoding="utf-8")

