"""Labelled rows per Toxicity-of-the-Commons dimension, from the sets that say whom an attack targets.

One row per text with ``text, language, dataset, group`` and one column per dimension: 1.0 (an attack on a group
of that dimension; for ``violence``, a threat), 0.0 (no such attack: clean text, mentions, counter-speech, or an
attack on another dimension's group) or NaN (the set does not say; the row does not train that dimension).
``group`` keeps related rows on one side of a split (a HateCheck template's cases; otherwise the text).

* ``hatecheck``: ``target_ident`` of hateful cases mapped by ``HATECHECK_TARGETS``; ``threat_*`` cases are violence;
  non-hateful cases (mentions, counter-speech, reclaimed slurs) are 0 everywhere.
* ``cold_zh``: offensive rows on topic race or region -> race_origin, gender -> gender_sex.
* ``korean_hate_speech_ko``: hate or offensive with ``bias`` gender -> gender_sex (``others`` says no more).
* ``told_br_pt``: racism or xenophobia -> race_origin, misogyny or homophobia -> gender_sex (>= 1 annotator).
* ``hateval2019_es``: ``AG`` (aggressive hate) -> violence, the only real-text source of it.
* Every other real set's non-offensive rows are 0 everywhere (clean text in more languages).
"""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd

from etl.catalog import TOXICITY_DIMENSIONS as DIMENSIONS
from etl.models.text_classifier import HATECHECK_LANGUAGES, HATECHECK_POSITIVE
from etl.models.toxicity_datasets import (DATASETS, TOLD_CATEGORIES, TOLD_MIN_ANNOTATORS, available, data_root,
                                          load_dataset)

VIOLENCE = "violence"
TARGET_DIMENSIONS = tuple(d for d in DIMENSIONS if d != VIOLENCE)  # the group dimensions
# HateCheck's target groups (lower-cased) onto the dimensions. Jews are under religion, as the lexicons have them.
HATECHECK_TARGETS = {
    "women": "gender_sex", "gay people": "gender_sex", "trans people": "gender_sex",
    "disabled people": "ability",
    "muslims": "religion", "jews": "religion", "jewish people": "religion",
    "black people": "race_origin", "immigrants": "race_origin", "immigrant": "race_origin",
    "refugees": "race_origin", "indigenous people": "race_origin", "asian people": "race_origin",
    "foreigners": "race_origin", "north-east indians": "race_origin", "lower caste": "race_origin",
}
HATECHECK_THREATS = ("threat_dir_h", "threat_norm_h")
COLD_TOPICS = {"race": "race_origin", "region": "race_origin", "gender": "gender_sex"}
KOREAN_GENDER_BIAS = "gender"
TOLD_TARGETS = {"racism": "race_origin", "xenophobia": "race_origin", "misogyny": "gender_sex",
                "homophobia": "gender_sex"}
HATEVAL_ES_AGGRESSIVE = "AG"
# Sets that name targets (read here) and the real sets that only give clean negatives.
TARGET_SETS = ("hatecheck", "cold_zh", "korean_hate_speech_ko", "told_br_pt", "hateval2019_es")
CLEAN_SETS = ("tweeteval_hate_en", "germeval2018_de", "t_hsab_ar_tn", "mpold_ar", "jigsaw_sample")
COLUMNS = ("text", "language", "dataset", "group", *DIMENSIONS)


def _frame(text, language, dataset: str, group, labels: dict[str, np.ndarray]) -> pd.DataFrame:
    text = pd.Series(text).astype(str).to_numpy()
    return pd.DataFrame({"text": text, "language": language, "dataset": dataset,
                         "group": text if group is None else group, **labels})


def _attack(targets: pd.Series, offensive: np.ndarray, others: float) -> dict[str, np.ndarray]:
    """Target-dimension labels: 1 for the named dimension of an offensive row, ``others`` for the other dimensions
    of an offensive row (0, or NaN when the set cannot say), 0 for a clean row."""
    labels = {}
    for dim in TARGET_DIMENSIONS:
        hit = (targets == dim).to_numpy()
        labels[dim] = np.where(~offensive, 0.0, np.where(hit, 1.0, others))
    return labels


def _hatecheck(folder) -> pd.DataFrame:
    frames = []
    for path in sorted(folder.glob("hatecheck_cases_final_*.csv")):
        raw = pd.read_csv(path)
        language = HATECHECK_LANGUAGES[path.stem.rsplit("_", 1)[-1]]
        hateful = (raw["label_gold"] == HATECHECK_POSITIVE).to_numpy()
        targets = raw["target_ident"].str.lower().map(HATECHECK_TARGETS)
        labels = _attack(targets, hateful, 0.0)
        for dim in TARGET_DIMENSIONS:  # a hateful case without a known target says nothing about the dimensions
            labels[dim][hateful & targets.isna().to_numpy()] = np.nan
        labels[VIOLENCE] = raw["functionality"].isin(HATECHECK_THREATS).astype(float).to_numpy()
        group = language + ":" + raw["templ_id"].astype(str)
        frames.append(_frame(raw["test_case"], language, "hatecheck", group.to_numpy(), labels))
    return pd.concat(frames, ignore_index=True)


def _cold(folder) -> pd.DataFrame:
    raw = DATASETS["cold_zh"].reader(folder)
    offensive = (raw["label"] == 1).to_numpy()
    labels = _attack(raw["topic"].map(COLD_TOPICS), offensive, 0.0)
    labels[VIOLENCE] = np.where(offensive, np.nan, 0.0)
    return _frame(raw["text"], "zh", "cold_zh", None, labels)


def _korean(folder) -> pd.DataFrame:
    raw = DATASETS["korean_hate_speech_ko"].reader(folder)
    offensive = (raw["label"] == 1).to_numpy()
    labels = _attack(raw["bias"].map({KOREAN_GENDER_BIAS: "gender_sex"}), offensive, np.nan)
    labels["gender_sex"] = np.where(offensive, (raw["bias"] == KOREAN_GENDER_BIAS).astype(float), 0.0)
    labels[VIOLENCE] = np.where(offensive, np.nan, 0.0)
    return _frame(raw["text"], "ko", "korean_hate_speech_ko", None, labels)


def _told(folder) -> pd.DataFrame:
    raw = pd.read_csv(folder / "ToLD-BR.csv")
    offensive = (raw[list(TOLD_CATEGORIES)].max(axis=1) >= TOLD_MIN_ANNOTATORS).to_numpy()
    labels = {dim: np.where(offensive, np.nan, 0.0) for dim in DIMENSIONS}
    for dim in set(TOLD_TARGETS.values()):
        columns = [c for c, d in TOLD_TARGETS.items() if d == dim]
        labels[dim] = np.where(offensive, (raw[columns].max(axis=1) >= TOLD_MIN_ANNOTATORS).astype(float), 0.0)
    return _frame(raw["text"], "pt", "told_br_pt", None, labels)


def _hateval_es(folder) -> pd.DataFrame:
    raw = pd.concat([pd.read_csv(folder / name, sep="\t", quoting=csv.QUOTE_NONE, dtype=str)
                     for name in ("train_es.tsv", "dev_es.tsv")], ignore_index=True)
    hateful = (raw["HS"].astype(int) == 1).to_numpy()
    labels = {dim: np.where(hateful, np.nan, 0.0) for dim in TARGET_DIMENSIONS}
    labels[VIOLENCE] = np.where(hateful, raw[HATEVAL_ES_AGGRESSIVE].astype(int).astype(float), 0.0)
    return _frame(raw["text"], "es", "hateval2019_es", None, labels)


READERS = {"hatecheck": _hatecheck, "cold_zh": _cold, "korean_hate_speech_ko": _korean, "told_br_pt": _told,
           "hateval2019_es": _hateval_es}


def _clean(name: str, root) -> pd.DataFrame:
    rows = load_dataset(name, root)
    rows = rows[rows["label"] == 0]
    return _frame(rows["text"], rows["language"].to_numpy(), name, None,
                  {dim: np.zeros(len(rows)) for dim in DIMENSIONS})


def load_dimension_rows(root=None, names=TARGET_SETS + CLEAN_SETS) -> pd.DataFrame:
    """Every available set among ``names`` as ``COLUMNS``; blank texts dropped."""
    frames = []
    for name in available(names, root):
        folder = data_root(root) / DATASETS[name].folder
        frames.append(READERS[name](folder) if name in READERS else _clean(name, root))
    if not frames:
        return pd.DataFrame(columns=list(COLUMNS))
    rows = pd.concat(frames, ignore_index=True)
    return rows[rows["text"].str.strip() != ""].reset_index(drop=True)[list(COLUMNS)]
