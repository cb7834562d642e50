"""Topic and format labels of texts: the trained model's log-odds plus the expert seeds' evidence in the text's
language (distinct keyword hits, and structure evidence for formats), so a short text the model knows little about
still gets the label its keywords name; where the model has an embedding head, its probabilities multiply these
(renormalised), so what the seeds teach in some languages carries to the others. What silver stores
(etl.silver.scorers.DomainScorer) and the evals measure.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from etl.models.domain_model import HEADS, DomainModel, MAX_CHARS, features, structure_values
from etl.catalog import DOMAIN_FORMATS, DOMAIN_TOPICS
from etl.models.domain_seeds import SEED_LANGUAGES, STRUCTURE_EVIDENCE, all_keyword_hits
from etl.models.embedding import first_window_embeddings

KEYWORD_LOGIT = 1.0  # each distinct seed keyword (or structure point) adds this to its label's log-odds (set a priori)
SEED_HEAD = {"topic": "topics", "format": "formats"}
_INDEX = {head: {name: i for i, name in enumerate(labels)} for head, labels in HEADS.items()}


def seed_evidence(text: str, language: str | None, values: dict) -> dict[str, np.ndarray]:
    """Per head, the seeds' points for each label: distinct keywords of ``language`` found, plus structure points."""
    out = {head: np.zeros(len(labels), dtype=np.float32) for head, labels in HEADS.items()}
    if language in SEED_LANGUAGES:
        hits = all_keyword_hits(text[:MAX_CHARS], (language,))
        for head in HEADS:
            for label, n in hits[SEED_HEAD[head]].items():
                out[head][_INDEX[head][label]] += n
    for label, test, points in STRUCTURE_EVIDENCE:
        if test(values):
            out["format"][_INDEX["format"][label]] += points
    return out


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax of a (n, k) array."""
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def embedding_probabilities(model: DomainModel, texts: Sequence[str | None]) -> dict[str, list[np.ndarray | None]]:
    """Per head with an embedding head, its probability vector per text (None where the first window is blank)."""
    if not model.embedding_heads:
        return {}
    embeddings, keep = first_window_embeddings(texts)
    out: dict[str, list] = {}
    for head, (w, b) in model.embedding_heads.items():
        rows: list = [None] * len(texts)
        for i, p in zip(keep, softmax(embeddings @ w + b)):
            rows[i] = p
        out[head] = rows
    return out


def label_probabilities(model: DomainModel, texts: Sequence[str | None],
                        languages: Sequence[str | None] | None = None) -> dict[str, list[np.ndarray | None]]:
    """Per head ("topic", "format"), one probability vector per text; None for a null or blank text."""
    languages = languages if languages is not None else [None] * len(texts)
    out: dict[str, list] = {head: [] for head in HEADS}
    embedded = embedding_probabilities(model, texts)
    no_embedding = [None] * len(texts)
    for row, (text, language) in enumerate(zip(texts, languages)):
        if not isinstance(text, str) or not text.strip():
            for head in HEADS:
                out[head].append(None)
            continue
        values = structure_values(text)
        idx, val = features(text)
        evidence = seed_evidence(text, language, values)
        for head in HEADS:
            logits = val @ model.weights[head][idx] + model.biases[head] + KEYWORD_LOGIT * evidence[head]
            p = softmax(logits)
            other = embedded.get(head, no_embedding)[row]
            if other is not None:  # product of experts: both must find the label likely
                p = p * other
                p = p / p.sum()
            out[head].append(p)
    return out


def predict_labels(model: DomainModel, texts: Sequence[str | None],
                   languages: Sequence[str | None] | None = None) -> dict[str, list]:
    """{"topic", "topic_score", "format", "format_score"}: the most likely label and its probability per text."""
    probs = label_probabilities(model, texts, languages)
    out: dict[str, list] = {}
    for head, labels in (("topic", DOMAIN_TOPICS), ("format", DOMAIN_FORMATS)):
        names, scores = [], []
        for p in probs[head]:
            if p is None:
                names.append(None)
                scores.append(None)
            else:
                k = int(p.argmax())
                names.append(labels[k])
                scores.append(float(p[k]))
        out[head], out[f"{head}_score"] = names, scores
    return out
