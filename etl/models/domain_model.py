"""Topic and format labels (WebOrganizer's taxonomy): features, the numpy model, and loading the bundled one.

Pure numpy, no Spark, so silver scores it in its Python workers (etl.silver.scorers.DomainScorer) and training fits it on the
driver (etl.models.domain_training). Features are hashed character 1-4-grams of the first MAX_CHARS characters
(letters, digits and combining marks, everything else one space; works for every script without a tokenizer). Two
multinomial logistic regressions share them: one over DOMAIN_TOPICS, one over DOMAIN_FORMATS; weights are stored as int8 with one
scale per head. The structure signals formats need (line lengths, list and question lines, dates, prices, ...) are
computed here too but enter as the seeds' structure evidence (etl.models.domain_seeds), not as learned features:
learned, they only told real pages from keyword pseudo-documents.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
import unicodedata
import numpy as np

from etl import bundled
from etl.catalog import DOMAIN_FORMATS, DOMAIN_TOPICS

HEADS = {"topic": DOMAIN_TOPICS, "format": DOMAIN_FORMATS}

WEIGHTS_FILE, META_FILE = "weights.npz", "meta.json"

MAX_CHARS = 2000  # features read the first this many characters (the top of a page says what it is)
NGRAM_ORDERS = (1, 2, 3, 4)
HASH_BITS = 16  # 65,536 n-gram buckets
N_FEATURES = 1 << HASH_BITS
_MULT = np.uint64(0x9E3779B1)  # odd multiplier of the rolling hash
_SPACE = 32

# Code points below this are looked up in a table (letters and digits kept, the rest a space); above it (kana, Han,
# Hangul, ...) they are kept, except the full-width punctuation block.
_TABLE_LIMIT = 0x3040
# Combining marks (Devanagari vowel signs, Arabic harakat) belong to their word.
_KEEP = np.array([chr(c).isalnum() or unicodedata.category(chr(c)).startswith("M") for c in range(_TABLE_LIMIT)],
                 dtype=bool)
_FULLWIDTH_PUNCT = (0xFF00, 0xFF10)

# --- structure signals (for formats: etl.models.domain_seeds.STRUCTURE_EVIDENCE) ----------------------------------
BULLET_RE = re.compile(r"^(?:[-*•·▪►●○◦→✓✔]|\d{1,2}[.)]|[a-z][.)])\s")
DATE_RE = re.compile(r"\b(?:\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}[./-]\d{1,2}[./-]\d{1,2}|(?:19|20)\d\d年\d{1,2}月)")
PRICE_RE = re.compile(r"[$€£¥₹₽₺₩]\s?\d|\d(?:[.,]\d\d)?\s?(?:[$€£¥₹₽₺₩]|eur|usd|руб|元|円|원|tl|r\$)(?!\w)", re.I)
DIGIT_RE = re.compile(r"\d")
TIME_RE = re.compile(r"\b\d{1,2}:\d\d\b")
FIRST_PERSON_RE = re.compile(r"\b(?:i|my|me|je|j'|mon|ma|ich|mein|yo|mi|eu|meu|io|mio|ben|benim|я|мой|jag|min)\b",
                             re.I)
PIPE_OR_TAB = ("|", "\t")
END_PUNCT = tuple(".!?。！？»\"”")


def _codes(text: str) -> np.ndarray:
    """Lower-cased code points of the first MAX_CHARS characters, non-alphanumerics one space, runs collapsed."""
    cp = np.frombuffer(text[:MAX_CHARS].lower().encode("utf-32-le"), dtype=np.uint32)
    low = cp < _TABLE_LIMIT
    keep = np.ones(cp.shape, dtype=bool)
    keep[low] = _KEEP[cp[low]]
    keep &= ~((cp >= _FULLWIDTH_PUNCT[0]) & (cp < _FULLWIDTH_PUNCT[1]))
    cp = np.where(keep, cp, _SPACE).astype(np.uint64)
    if cp.size > 1:
        cp = cp[np.concatenate(([True], (cp[1:] != _SPACE) | (cp[:-1] != _SPACE)))]
    return np.concatenate(([_SPACE], cp, [_SPACE])).astype(np.uint64)


def ngram_indices(text: str) -> np.ndarray:
    """Distinct hashed character n-gram buckets of ``text`` (orders NGRAM_ORDERS), int64."""
    cp = _codes(text)
    parts = []
    h = np.zeros(cp.size, dtype=np.uint64)
    for n in range(1, max(NGRAM_ORDERS) + 1):
        if cp.size < n:
            break
        h = h[: cp.size - n + 1] * _MULT + cp[n - 1:] + np.uint64(n)
        if n in NGRAM_ORDERS:
            parts.append(h ^ (h >> np.uint64(29)))
    if not parts:
        return np.zeros(0, dtype=np.int64)
    idx = (np.concatenate(parts) & np.uint64(N_FEATURES - 1)).astype(np.int64)
    return np.unique(idx)


def structure_values(text: str) -> dict[str, float]:
    """The raw structure signals of one text (line shape, lists, questions, dates, prices, ...)."""
    head = text[:MAX_CHARS]
    lines = [ln.strip() for ln in head.split("\n")]
    lines = [ln for ln in lines if ln] or [""]
    n = len(lines)
    words = max(1, head.count(" ") + 1)
    return {
        "chars": len(text),
        "lines": n,
        "mean_line": sum(len(ln) for ln in lines) / n,
        "short_lines": sum(len(ln) < 30 for ln in lines) / n,
        "bullets": sum(bool(BULLET_RE.match(ln)) for ln in lines) / n,
        "questions": sum(ln.endswith(("?", "؟", "？")) for ln in lines) / n,
        "dates": len(DATE_RE.findall(head)),
        "prices": len(PRICE_RE.findall(head)),
        "times": len(TIME_RE.findall(head)),
        "digits": len(DIGIT_RE.findall(head)) / max(1, len(head)),
        "first_person": len(FIRST_PERSON_RE.findall(head)) / words,
        "pipes": sum(head.count(c) for c in PIPE_OR_TAB),
        "end_punct": sum(ln.endswith(END_PUNCT) for ln in lines) / n,
    }


def features(text: str) -> tuple[np.ndarray, np.ndarray]:
    """(indices, values) of one text's sparse feature vector: its n-gram buckets, L2-normalised."""
    grams = ngram_indices(text)
    return grams, np.full(grams.size, 1.0 / np.sqrt(max(1, grams.size)))


@dataclasses.dataclass
class DomainModel:
    """Two multinomial logistic regressions over the shared features: weights (N_FEATURES, labels) and biases;
    optionally, per head, a softmax regression on the multilingual embedding (etl.models.embedding) whose
    probabilities multiply the n-gram model's (etl.models.domain_predict)."""

    weights: dict[str, np.ndarray]  # head -> float32 (N_FEATURES, len(labels))
    biases: dict[str, np.ndarray]   # head -> float32 (len(labels),)
    meta: dict
    embedding_heads: dict[str, tuple[np.ndarray, np.ndarray]] = dataclasses.field(default_factory=dict)

    def save(self, directory: str) -> None:
        """weights.npz (int8 weights, one scale per head) and meta.json into ``directory``."""
        import os

        os.makedirs(directory, exist_ok=True)
        arrays = {}
        for head, w in self.weights.items():
            scale = float(np.abs(w).max()) / 127.0 or 1.0
            arrays[f"{head}_w"] = np.round(w / scale).astype(np.int8)
            arrays[f"{head}_scale"] = np.array([scale], dtype=np.float32)
            arrays[f"{head}_b"] = self.biases[head].astype(np.float32)
        for head, (w, b) in self.embedding_heads.items():
            arrays[f"{head}_emb_w"], arrays[f"{head}_emb_b"] = w.astype(np.float32), b.astype(np.float32)
        np.savez_compressed(os.path.join(directory, WEIGHTS_FILE), **arrays)
        meta = dict(self.meta, topics=list(DOMAIN_TOPICS), formats=list(DOMAIN_FORMATS), n_features=N_FEATURES,
                    hash_bits=HASH_BITS, ngram_orders=list(NGRAM_ORDERS), max_chars=MAX_CHARS,
                    embedding_heads=sorted(self.embedding_heads))
        with open(os.path.join(directory, META_FILE), "w", encoding="utf-8") as f:
            json.dump(meta, f, indent=1, ensure_ascii=False, sort_keys=True)


def _from_bytes(weights: bytes, meta: bytes) -> DomainModel:
    info = json.loads(meta.decode("utf-8"))
    if info.get("n_features") != N_FEATURES or info.get("topics") != list(DOMAIN_TOPICS) or info.get("formats") != list(
            DOMAIN_FORMATS):
        raise ValueError("domain model: features or labels differ from this code's (retrain with jobs/train_domains.py)")
    arrays = np.load(io.BytesIO(weights))
    w = {h: arrays[f"{h}_w"].astype(np.float32) * arrays[f"{h}_scale"][0] for h in HEADS}
    b = {h: arrays[f"{h}_b"].astype(np.float32) for h in HEADS}
    emb = {h: (arrays[f"{h}_emb_w"], arrays[f"{h}_emb_b"]) for h in info.get("embedding_heads", [])}
    return DomainModel(w, b, info, emb)


def load_domain_model(path: str | None = None) -> DomainModel:
    """The model saved in directory ``path``, or the bundled one (package data, also from inside a zip)."""
    if path:
        import os

        with open(os.path.join(path, WEIGHTS_FILE), "rb") as f, open(os.path.join(path, META_FILE), "rb") as g:
            return _from_bytes(f.read(), g.read())
    root = bundled.resource(bundled.DOMAIN_MODEL)
    return _from_bytes(root.joinpath(WEIGHTS_FILE).read_bytes(), root.joinpath(META_FILE).read_bytes())
