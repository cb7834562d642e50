"""Training the topic and format model as ChineseWebText 2.0 built its domain classifier: seeds label the documents
they are sure of, a first model learns from those and from the seeds' own keyword texts, then rounds of
self-training add the documents the model itself labels with high confidence. Pure numpy on the driver; the Spark
job (etl.cli.train_domains) reads the documents and hands them here.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Callable, Sequence

import numpy as np

from etl.models.domain_model import HEADS, N_FEATURES, DomainModel, features, structure_values
from etl.models.domain_predict import KEYWORD_LOGIT, seed_evidence, softmax
from etl.catalog import DOMAIN_FORMATS, DOMAIN_TOPICS
from etl.models.domain_seeds import allowed_formats, seed_format, seed_texts, seed_topic

SEED_TEXTS_PER_LABEL = 24  # keyword pseudo-documents per label, head and language
# Each pseudo-document of a language with real pages also gets an excerpt of a random page of that language, so
# the language's common words appear under every label and the model cannot learn "French page -> Tutorial".
FILLER_CHARS = 400
REAL_WEIGHT = 3.0          # a real page counts this many times a keyword pseudo-document
REAL_PER_LABEL = 20        # ... but a label's real pages weigh together at most as much as this many: one label with
                           # many pages (CORE's how-to register -> Tutorial) must not claim every page of its language
ROUNDS = 2                 # self-training rounds after the first model
CONFIDENCE = {"topic": 0.80, "format": 0.70}  # a prediction joins the training set at or above this probability
SELF_PER_LABEL = 1.0       # ... and only the most confident ones, at most this many times the label's seed count
MIN_SELF_PER_LABEL = 10    # (but at least this many), so one label cannot snowball through self-training
EPOCHS = 6
BATCH = 256
LEARNING_RATE = 0.5        # Adagrad
L2 = 1e-5
MAX_CLASS_WEIGHT = 5.0     # rare labels are up-weighted to the mean class size, at most this much
SPLIT_SEED = 20250        # seeded shuffles: the same inputs give the same model
# The embedding head (etl.models.embedding): which heads get one, the L2 strengths tried, and the share of the
# training rows held out to choose among them (by weighted log-loss; then refit on every row).
EMBEDDING_HEADS = ("topic",)  # a format head was measured too and did not help (docs/labels.md)
EMBEDDING_L2_GRID = (1e-5, 1e-4, 1e-3, 1e-2)
EMBEDDING_VALIDATION_SHARE = 0.2
SOFTMAX_ITERATIONS = 400


@dataclasses.dataclass
class Document:
    """A training page: its text, language (for the seeds) and CORE registers where it has them."""

    text: str
    language: str | None = None
    registers: tuple[str, ...] = ()


@dataclasses.dataclass
class TrainingReport:
    """What training did, for the job's summary and the model's meta.json."""

    documents: int = 0
    seed_texts: dict = dataclasses.field(default_factory=dict)
    seed_labelled: dict = dataclasses.field(default_factory=dict)
    self_labelled: list = dataclasses.field(default_factory=list)  # per round: {"topic": n, "format": n}
    label_counts: dict = dataclasses.field(default_factory=dict)
    seconds: float = 0.0


Features = list[tuple[np.ndarray, np.ndarray]]


def featurize(texts: Sequence[str]) -> Features:
    """Sparse (indices int32, values float32) per text."""
    out = []
    for text in texts:
        idx, val = features(text)
        out.append((idx.astype(np.int32), val.astype(np.float32)))
    return out


def _batch_matrix(feats: Features, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The batch as a dense matrix over the features it uses: (feature ids, matrix rows x ids)."""
    idx = np.concatenate([feats[r][0] for r in rows])
    val = np.concatenate([feats[r][1] for r in rows])
    row = np.repeat(np.arange(rows.size), [feats[r][0].size for r in rows])
    used, inverse = np.unique(idx, return_inverse=True)
    x = np.zeros((rows.size, used.size), dtype=np.float32)
    x[row, inverse] = val
    return used, x


def _class_weighted(labels: np.ndarray, weights: np.ndarray, n_classes: int) -> np.ndarray:
    """Sample weights with rare labels up-weighted to the mean class size (at most MAX_CLASS_WEIGHT times)."""
    counts = np.bincount(labels, weights=weights, minlength=n_classes)
    present = counts > 0
    class_w = np.ones(n_classes, dtype=np.float64)
    class_w[present] = np.minimum(MAX_CLASS_WEIGHT, counts[present].mean() / counts[present])
    return weights * class_w[labels]


def fit_head(feats: Features, labels: np.ndarray, weights: np.ndarray, n_classes: int,
             epochs: int = EPOCHS, seed: int = SPLIT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression by mini-batch Adagrad: (weights N_FEATURES x classes, biases)."""
    sample_w = _class_weighted(labels, weights, n_classes).astype(np.float32)
    w = np.zeros((N_FEATURES, n_classes), dtype=np.float32)
    b = np.zeros(n_classes, dtype=np.float32)
    acc_w = np.full_like(w, 1e-6)
    acc_b = np.full_like(b, 1e-6)
    rng = np.random.default_rng(seed)
    onehot = np.eye(n_classes, dtype=np.float32)
    for _ in range(epochs):
        order = rng.permutation(len(feats))
        for start in range(0, order.size, BATCH):
            rows = order[start:start + BATCH]
            used, x = _batch_matrix(feats, rows)
            wu = w[used]
            logits = x @ wu + b
            logits -= logits.max(axis=1, keepdims=True)
            p = np.exp(logits)
            p /= p.sum(axis=1, keepdims=True)
            sw = sample_w[rows]
            g = (p - onehot[labels[rows]]) * (sw / sw.sum())[:, None]
            grad_w = x.T @ g + L2 * wu
            grad_b = g.sum(axis=0)
            acc_w[used] += grad_w * grad_w
            acc_b += grad_b * grad_b
            w[used] = wu - LEARNING_RATE * grad_w / np.sqrt(acc_w[used])
            b -= LEARNING_RATE * grad_b / np.sqrt(acc_b)
    return w, b


def fit_softmax(x: np.ndarray, labels: np.ndarray, weights: np.ndarray, n_classes: int, l2: float,
                iterations: int = SOFTMAX_ITERATIONS) -> tuple[np.ndarray, np.ndarray]:
    """Weighted L2 softmax regression on dense rows by Nesterov's accelerated gradient: (weights d x k, biases).

    Minimises sum_i w_i * logloss_i / sum_i w_i + l2 / 2 * |weights|^2. The step is 1 / L with L the gradient's
    Lipschitz bound, max_i |(x_i, 1)|^2 / 2 + l2, so it converges without a line search."""
    n, d = x.shape
    xb = np.hstack([x.astype(np.float64), np.ones((n, 1))])
    sw = weights.astype(np.float64) / weights.sum()
    onehot = np.eye(n_classes)[labels]
    penalty = np.full((d + 1, 1), l2)
    penalty[-1] = 0.0
    step = 1.0 / (0.5 * float((xb * xb).sum(axis=1).max()) + l2)
    beta = np.zeros((d + 1, n_classes))
    previous = beta
    for t in range(1, iterations + 1):
        look = beta + (t - 1) / (t + 2) * (beta - previous)
        grad = xb.T @ ((softmax(xb @ look) - onehot) * sw[:, None]) + penalty * look
        previous, beta = beta, look - step * grad
    return beta[:-1].astype(np.float32), beta[-1].astype(np.float32)


def weighted_log_loss(x: np.ndarray, labels: np.ndarray, weights: np.ndarray, w: np.ndarray, b: np.ndarray) -> float:
    p = softmax(x @ w + b)[np.arange(labels.size), labels]
    return float(-(weights * np.log(np.maximum(p, 1e-12))).sum() / weights.sum())


def fit_embedding_head(x: np.ndarray, labels: np.ndarray, weights: np.ndarray, n_classes: int,
                       seed: int = SPLIT_SEED) -> tuple[np.ndarray, np.ndarray, float]:
    """The embedding head: L2 chosen on a held-out share of the rows, then refit on all; (weights, biases, l2)."""
    weights = _class_weighted(labels, weights, n_classes)
    held = np.random.default_rng(seed).random(labels.size) < EMBEDDING_VALIDATION_SHARE
    losses = {}
    for l2 in EMBEDDING_L2_GRID:
        w, b = fit_softmax(x[~held], labels[~held], weights[~held], n_classes, l2)
        losses[l2] = weighted_log_loss(x[held], labels[held], weights[held], w, b)
    best = min(losses, key=losses.get)
    w, b = fit_softmax(x, labels, weights, n_classes, best)
    return w, b, best


def _predict(w: np.ndarray, b: np.ndarray, feats: Features, evidence: np.ndarray) -> np.ndarray:
    """Probabilities as silver computes them: the model's log-odds plus the seeds' evidence."""
    out = np.zeros((len(feats), b.size), dtype=np.float32)
    for i, (idx, val) in enumerate(feats):
        logits = val @ w[idx] + b + KEYWORD_LOGIT * evidence[i]
        e = np.exp(logits - logits.max())
        out[i] = e / e.sum()
    return out


def _with_filler(pseudo: list[tuple[str, str, str]], docs: Sequence[Document], seed: int = SPLIT_SEED) -> list[str]:
    """Pseudo-document texts, each followed by an excerpt of a random real page of its language (when there is one)."""
    rng = np.random.default_rng(seed)
    by_language: dict[str, list[str]] = {}
    for d in docs:
        if d.language:
            by_language.setdefault(d.language, []).append(d.text)
    out = []
    for text, _, language in pseudo:
        pages = by_language.get(language)
        if pages:
            page = pages[int(rng.integers(len(pages)))]
            start = int(rng.integers(max(1, len(page) - FILLER_CHARS)))
            text = text + "\n" + page[start:start + FILLER_CHARS]
        out.append(text)
    return out


def train_domain_model(docs: Sequence[Document], rounds: int = ROUNDS, per_label: int = SEED_TEXTS_PER_LABEL,
                       log: Callable[[str], None] = print,
                       embed_texts: Callable[[Sequence[str]], tuple[np.ndarray, list[int]]] | None = None,
                       ) -> tuple[DomainModel, TrainingReport]:
    """Seeds -> first model -> ``rounds`` of self-training on ``docs``; the model and what happened. With
    ``embed_texts`` (etl.models.embedding.first_window_embeddings), each of EMBEDDING_HEADS also gets an embedding
    head fitted on the final round's rows and weights."""
    t0 = time.perf_counter()
    report = TrainingReport(documents=len(docs))
    labels_of = {"topic": {n: i for i, n in enumerate(DOMAIN_TOPICS)}, "format": {n: i for i, n in enumerate(DOMAIN_FORMATS)}}
    pseudo = seed_texts(per_label)
    report.seed_texts = {h: len(v) for h, v in pseudo.items()}
    log(f"seed texts: {report.seed_texts['topic']} topic and {report.seed_texts['format']} format pseudo-documents")

    doc_feats = featurize([d.text for d in docs])
    seeded = {"topic": {}, "format": {}}
    for i, d in enumerate(docs):
        topic = seed_topic(d.text, d.language)
        fmt = seed_format(d.text, d.language, d.registers)
        if topic:
            seeded["topic"][i] = labels_of["topic"][topic]
        if fmt:
            seeded["format"][i] = labels_of["format"][fmt]
    report.seed_labelled = {h: len(v) for h, v in seeded.items()}
    log(f"seed-labelled documents: {report.seed_labelled['topic']} topic, {report.seed_labelled['format']} format "
        f"of {len(docs)}")
    pseudo_feats = {h: featurize(_with_filler(pseudo[h], docs)) for h in HEADS}
    pseudo_labels = {h: np.array([labels_of[h][lab] for _, lab, _ in pseudo[h]], dtype=np.int64) for h in HEADS}
    allowed = [allowed_formats(d.registers) for d in docs]
    evidence = [seed_evidence(d.text, d.language, structure_values(d.text)) for d in docs]
    evidence = {h: np.array([e[h] for e in evidence], dtype=np.float32).reshape(len(docs), len(HEADS[h]))
                for h in HEADS}

    labelled = {h: dict(seeded[h]) for h in HEADS}
    weights, biases = {}, {}
    final_rows: dict[str, tuple] = {}  # head -> (document rows, labels, weights) of the last fit
    for round_no in range(rounds + 1):
        for head, names in HEADS.items():
            rows = sorted(labelled[head])
            feats = pseudo_feats[head] + [doc_feats[r] for r in rows]
            real_y = np.array([labelled[head][r] for r in rows], dtype=np.int64)
            y = np.concatenate((pseudo_labels[head], real_y))
            per_label = np.bincount(real_y, minlength=len(names)).astype(np.float32)
            real_w = REAL_WEIGHT * np.minimum(1.0, REAL_PER_LABEL / np.maximum(per_label, 1.0))[real_y]
            sw = np.concatenate((np.ones(len(pseudo_feats[head]), dtype=np.float32), real_w.astype(np.float32)))
            weights[head], biases[head] = fit_head(feats, y, sw, len(names))
            final_rows[head] = (rows, y, sw)
        log(f"round {round_no}: trained on {len(labelled['topic'])} topic and {len(labelled['format'])} format "
            f"documents ({time.perf_counter() - t0:.0f} s)")
        if round_no == rounds or not docs:
            break
        added = {}
        for head, names in HEADS.items():
            probs = _predict(weights[head], biases[head], doc_feats, evidence[head])
            candidates = []
            for i, p in enumerate(probs):
                k = int(p.argmax())
                if i in seeded[head] or p[k] < CONFIDENCE[head]:
                    continue
                if head == "format" and allowed[i] is not None and names[k] not in allowed[i]:
                    continue
                candidates.append((-float(p[k]), i, k))
            seed_counts = np.bincount(list(seeded[head].values()) or [0], minlength=len(names))
            room = np.maximum(MIN_SELF_PER_LABEL, SELF_PER_LABEL * seed_counts)
            new = {}
            for _, i, k in sorted(candidates):
                if room[k] >= 1:
                    new[i] = k
                    room[k] -= 1
            labelled[head] = {**new, **seeded[head]}  # seeds win; last round's guesses are re-decided each round
            added[head] = len(new)
        report.self_labelled.append(added)
        log(f"round {round_no + 1}: self-labelled {added['topic']} topic and {added['format']} format documents "
            f"at p >= {CONFIDENCE['topic']} / {CONFIDENCE['format']}")
    report.label_counts = {h: {HEADS[h][k]: int(v) for k, v in
                               enumerate(np.bincount(list(labelled[h].values()) or [0],
                                                     minlength=len(HEADS[h]))) if v and labelled[h]}
                           for h in HEADS}
    embedding_heads, embedding_l2 = {}, {}
    if embed_texts is not None:
        for head in EMBEDDING_HEADS:
            rows, y, sw = final_rows[head]
            texts = _with_filler(pseudo[head], docs) + [docs[r].text for r in rows]
            x, keep = embed_texts(texts)
            w, b, embedding_l2[head] = fit_embedding_head(x, y[keep], sw[keep], len(HEADS[head]))
            embedding_heads[head] = (w, b)
            log(f"{head} embedding head: {len(keep)} texts embedded, L2 {embedding_l2[head]:g} chosen on a "
                f"{EMBEDDING_VALIDATION_SHARE:.0%} split ({time.perf_counter() - t0:.0f} s)")
    report.seconds = round(time.perf_counter() - t0, 1)
    meta = {"embedding_l2": embedding_l2,"trained_documents": report.documents, "seed_labelled": report.seed_labelled,
            "self_labelled": report.self_labelled, "seed_texts": report.seed_texts, "rounds": rounds,
            "confidence": CONFIDENCE, "label_counts": report.label_counts}
    return DomainModel(weights, biases, meta, embedding_heads), report
