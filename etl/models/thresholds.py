"""Ranking and threshold metrics for a toxicity score, and the choice of a decision threshold on validation data.

numpy only. Macro-F1 is the mean of the toxic and the non-toxic class's F1: unlike the toxic-class F1 it does not
reward flagging everything (on a 70%-toxic set "all toxic" scores toxic-F1 0.82 but macro-F1 0.41).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from etl.config import ANY_LANGUAGE  # the "any other language" key of a thresholds file

# Candidate thresholds: the score quantiles of the validation rows (plus the ends), so the search costs
# O(candidates x rows) whatever the score distribution.
THRESHOLD_CANDIDATES = 199
# A language gets its own threshold only with this much validation data of its own, of each class;
# otherwise it uses the threshold chosen on every validation row.
MIN_ROWS_PER_CLASS_FOR_LANGUAGE_THRESHOLD = 200


def roc_auc(gold, scores) -> float:
    """Mann-Whitney ROC AUC (ties count half); NaN when a class is missing."""
    gold = np.asarray(gold, dtype=bool)
    scores = np.asarray(scores, dtype=float)
    positives, negatives = int(gold.sum()), int((~gold).sum())
    if not positives or not negatives:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores), dtype=float)
    sorted_scores = scores[order]
    # Average ranks over ties.
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    tie_rank = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(tie_rank, counts)
    return float((ranks[gold].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def classification_report(gold, predicted) -> dict[str, float]:
    """Toxic-class precision/recall/F1, non-toxic F1 and macro-F1 of 0/1 predictions (0.0 where undefined)."""
    gold = np.asarray(gold, dtype=bool)
    predicted = np.asarray(predicted, dtype=bool)
    tp = int((gold & predicted).sum())
    fp = int((~gold & predicted).sum())
    fn = int((gold & ~predicted).sum())
    tn = int((~gold & ~predicted).sum())
    f1_pos, precision, recall = _f1(tp, fp, fn)
    f1_neg, _, _ = _f1(tn, fn, fp)
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1_pos, 4),
            "f1_non_toxic": round(f1_neg, 4), "macro_f1": round((f1_pos + f1_neg) / 2, 4),
            "flagged_share": round(float(predicted.mean()) if len(predicted) else 0.0, 4),
            "n": int(len(gold)), "positives": int(gold.sum())}


def _f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return f1, precision, recall


def trivial_baselines(gold) -> dict[str, float]:
    """Macro-F1 of flagging everything and of predicting the majority class: the floors a model must beat."""
    gold = np.asarray(gold, dtype=bool)
    majority = bool(gold.mean() > 0.5) if len(gold) else False
    return {
        "all_positive_macro_f1": classification_report(gold, np.ones(len(gold), bool))["macro_f1"],
        "majority_macro_f1": classification_report(gold, np.full(len(gold), majority))["macro_f1"],
    }


def _macro_f1_curve(gold: np.ndarray, scores: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Macro-F1 of ``score > t`` for every candidate t (the gold rule's polarity: drop when score > threshold)."""
    predicted = scores[None, :] > candidates[:, None]
    g = gold[None, :]
    tp = (predicted & g).sum(1)
    fp = (predicted & ~g).sum(1)
    fn = (~predicted & g).sum(1)
    tn = (~predicted & ~g).sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        f1_pos = np.nan_to_num(2 * tp / (2 * tp + fp + fn))
        f1_neg = np.nan_to_num(2 * tn / (2 * tn + fn + fp))
    return (f1_pos + f1_neg) / 2


def choose_threshold(gold, scores, groups=None) -> float:
    """The threshold t maximising macro-F1 of ``score > t``, averaged over ``groups`` (e.g. datasets) so that
    each group counts once whatever its size; ties go to the higher (more conservative) threshold."""
    gold = np.asarray(gold, dtype=bool)
    scores = np.asarray(scores, dtype=float)
    if not len(scores):
        raise ValueError("no validation rows to choose a threshold on")
    candidates = np.unique(np.quantile(scores, np.linspace(0, 1, THRESHOLD_CANDIDATES + 2)))
    keys = np.zeros(len(scores), dtype=int) if groups is None else np.unique(np.asarray(groups), return_inverse=True)[1]
    curve = np.mean([_macro_f1_curve(gold[keys == k], scores[keys == k], candidates) for k in np.unique(keys)], axis=0)
    best = np.flatnonzero(curve >= curve.max() - 1e-12)[-1]
    return round(float(candidates[best]), 4)


def choose_thresholds(gold, scores, languages, groups=None) -> dict[str, float]:
    """``{"*": t, lang: t_lang, ...}``: one threshold over every row, and one per language with enough data."""
    gold = np.asarray(gold, dtype=bool)
    scores = np.asarray(scores, dtype=float)
    languages = np.asarray(languages, dtype=object)
    groups = None if groups is None else np.asarray(groups, dtype=object)
    out = {ANY_LANGUAGE: choose_threshold(gold, scores, groups)}
    for lang in sorted({x for x in languages if isinstance(x, str)}):
        mask = languages == lang
        if min(int((gold & mask).sum()), int((~gold & mask).sum())) >= MIN_ROWS_PER_CLASS_FOR_LANGUAGE_THRESHOLD:
            out[lang] = choose_threshold(gold[mask], scores[mask], None if groups is None else groups[mask])
    return out


def threshold_for(thresholds: Mapping[str, float], language: str | None) -> float:
    """The language's own threshold, else the one for any language."""
    return thresholds.get(language or ANY_LANGUAGE, thresholds[ANY_LANGUAGE])
