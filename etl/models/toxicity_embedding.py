"""Toxicity from the multilingual sentence embedding (etl.models.embedding): one logistic regression on the 512
dimensions of each document's first window.

What the labelled sets teach in seven languages carries to text of another set or language far better than
character n-grams do (docs/toxicity.md, leave one dataset out); the n-gram classifier still scores ten windows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from etl import bundled
from etl.models.embedding import EMBEDDING_DIM, first_window_embeddings

WEIGHTS_FILE = "weights.npz"
META_FILE = "meta.json"


@dataclass(frozen=True)
class EmbeddingToxicityModel:
    """P(toxic) = sigmoid(embedding . weights + bias), and the decision thresholds chosen on validation."""

    weights: np.ndarray  # (512,)
    bias: float
    meta: dict

    def probabilities(self, embeddings: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(embeddings @ self.weights + self.bias)))

    def save(self, folder: str | Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        np.savez(folder / WEIGHTS_FILE, weights=self.weights.astype(np.float32), bias=np.float32(self.bias))
        (folder / META_FILE).write_text(json.dumps(self.meta, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def load_model(path: str | None = None) -> EmbeddingToxicityModel:
    """The model in folder ``path``, or the one bundled in the package (etl/resources/toxicity_embedding_model)."""
    folder = Path(path) if path else bundled.resource(bundled.TOXICITY_EMBEDDING_MODEL)
    with folder.joinpath(WEIGHTS_FILE).open("rb") as fh:
        arrays = np.load(fh)
        weights, bias = arrays["weights"].astype(np.float64), float(arrays["bias"])
    meta = json.loads(folder.joinpath(META_FILE).read_text(encoding="utf-8"))
    if weights.shape != (EMBEDDING_DIM,):
        raise ValueError(f"{folder}: expected {EMBEDDING_DIM} weights, found shape {weights.shape}")
    return EmbeddingToxicityModel(weights, bias, meta)


def score_texts(model: EmbeddingToxicityModel, texts: Sequence[str | None],
                encoder: Any | None = None) -> list[float | None]:
    """P(toxic) of each text's first window; None for a null or blank text."""
    embeddings, keep = first_window_embeddings(texts, encoder)
    out: list[float | None] = [None] * len(texts)
    for i, p in zip(keep, model.probabilities(embeddings)):
        out[i] = float(p)
    return out


def fit_logistic(x: np.ndarray, y: np.ndarray, sample_weight: np.ndarray, l2: float,
                 max_iter: int = 50, tol: float = 1e-7) -> tuple[np.ndarray, float]:
    """Weighted L2-regularised logistic regression by Newton's method (513 parameters: exact and fast).

    Minimises sum_i w_i * logloss_i / sum_i w_i + l2 / 2 * |weights|^2 (the bias is not penalised)."""
    n, d = x.shape
    xb = np.hstack([x.astype(np.float64), np.ones((n, 1))])
    w = sample_weight.astype(np.float64) / sample_weight.sum()
    penalty = np.full(d + 1, l2)
    penalty[-1] = 0.0
    beta = np.zeros(d + 1)
    for _ in range(max_iter):
        p = 1.0 / (1.0 + np.exp(-(xb @ beta)))
        grad = xb.T @ (w * (p - y)) + penalty * beta
        hess = (xb * (w * p * (1.0 - p))[:, None]).T @ xb + np.diag(penalty)
        hess[-1, -1] += 1e-12  # keeps the system solvable when one class is absent
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < tol:
            break
    return beta[:-1], float(beta[-1])
