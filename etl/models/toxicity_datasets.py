"""Real labelled toxicity datasets, read into one shape: ``text, label (0/1), language, dataset``.

The classifier (``etl.models.text_classifier``) is only as good as its training data: trained on Multilingual
HateCheck's templates alone it ranked real offensive text at chance. This module knows the layout and the
binary label map of each human-labelled set we train and evaluate on (the maps are the ones their
PROVENANCE.md states), so a training recipe is a list of dataset names and a folder:

* ``tweeteval_hate_en`` (HatEval 2019 English tweets, hate = 1), ``germeval2018_de`` (OFFENSE = 1),
  ``hateval2019_es`` (HS = 1), ``told_br_pt`` (any category flagged by >= 1 annotator = 1),
  ``t_hsab_ar_tn`` (Tunisian Arabic, abusive or hate = 1), ``mpold_ar`` (multi-dialect Arabic,
  Majority_Label Offensive = 1), ``cold_zh`` (COLDataset, offensive = 1), ``korean_hate_speech_ko`` (hate or
  offensive = 1): the eight real sets of ``toxicity_train_multilingual/``;
* ``hatecheck`` (Multilingual HateCheck, 10 languages, functional test templates) and ``jigsaw_sample``
  (101 English Wikipedia comments) from their own folders;
* ``lexicon_seeds``: the package's own LDNOOBW lists and toxicity lexicons as one-term examples, registered by
  ``etl.silver.toxicity`` (the lexicon's owner) with :func:`register`.

pandas only (tens of thousands of rows): Spark gets one ``createDataFrame`` of the result.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from etl.models.text_classifier import HATECHECK_LANGUAGES, HATECHECK_NEGATIVE, HATECHECK_POSITIVE

COLUMNS = ("text", "label", "language", "dataset")
# Where the datasets live when the caller names no folder: an environment variable, else the shared data folder
# next to a checkout (a user's clone may have neither; then loading says which path it looked for).
DATA_ROOT_ENV = "TOXICITY_DATA_ROOT"
DEFAULT_DATA_ROOT = Path(__file__).resolve().parents[3] / "shared" / "data"
MULTILINGUAL_DIR = "toxicity_train_multilingual"
TOLD_MIN_ANNOTATORS = 1  # ToLD-Br: the dataset's own binary map (PROVENANCE.md); 2 is its majority-vote variant
TOLD_CATEGORIES = ("homophobia", "obscene", "insult", "racism", "misogyny", "xenophobia")
COLD_SPLITS = ("train", "dev", "test")
KOREAN_SPLITS = ("train", "dev")
KOREAN_TOXIC = ("hate", "offensive")


@dataclass(frozen=True)
class Dataset:
    """One labelled set: where it lives under the data root, its language, and how to read it."""

    name: str
    language: str | None  # None: per row (HateCheck)
    folder: str | None  # None: bundled with the package
    reader: Callable[[Path | None], pd.DataFrame]  # folder -> text, label[, language]
    real: bool = True  # human-written text (False: generated test templates)
    licence: str = "see its PROVENANCE.md"  # as the source states it; the dataset card lists it for the shipped model


def _lines(path: Path) -> list[str]:
    # Split on "\n" only: tweets may hold U+2028 and other characters that str.splitlines treats as breaks.
    text = path.read_text(encoding="utf-8")
    return text[:-1].split("\n") if text.endswith("\n") else text.split("\n")


def _read_tweeteval(folder: Path) -> pd.DataFrame:
    frames = []
    for split in ("train", "val", "test"):
        texts, labels = _lines(folder / f"{split}_text.txt"), _lines(folder / f"{split}_labels.txt")
        if len(texts) != len(labels):
            raise ValueError(f"{folder}: {split} has {len(texts)} texts but {len(labels)} labels")
        frames.append(pd.DataFrame({"text": texts, "label": [int(x) for x in labels]}))
    return pd.concat(frames, ignore_index=True)


def _read_germeval(folder: Path) -> pd.DataFrame:
    frames = [
        pd.read_csv(folder / name, sep="\t", header=None, names=["text", "coarse", "fine"],
                    quoting=csv.QUOTE_NONE, dtype=str)
        for name in ("germeval2018.training.txt", "germeval2018.test.txt")
    ]
    raw = pd.concat(frames, ignore_index=True)
    return pd.DataFrame({"text": raw["text"], "label": (raw["coarse"] == "OFFENSE").astype(int)})


def _read_hateval_es(folder: Path) -> pd.DataFrame:
    frames = [pd.read_csv(folder / name, sep="\t", quoting=csv.QUOTE_NONE, dtype=str)
              for name in ("train_es.tsv", "dev_es.tsv")]
    raw = pd.concat(frames, ignore_index=True)
    return pd.DataFrame({"text": raw["text"], "label": raw["HS"].astype(int)})


def _read_told(folder: Path) -> pd.DataFrame:
    raw = pd.read_csv(folder / "ToLD-BR.csv")
    flagged = raw[list(TOLD_CATEGORIES)].max(axis=1) >= TOLD_MIN_ANNOTATORS
    return pd.DataFrame({"text": raw["text"], "label": flagged.astype(int)})


def _read_t_hsab(folder: Path) -> pd.DataFrame:
    raw = pd.read_excel(folder / "T-HSAB.xlsx", header=None, names=["text", "label"])  # no header row
    return pd.DataFrame({"text": raw["text"], "label": raw["label"].isin(["abusive", "hate"]).astype(int)})


def _read_mpold(folder: Path) -> pd.DataFrame:
    raw = pd.read_excel(folder / "Arabic_offensive_comment_detection_annotation_4000_selected.xlsx")
    return pd.DataFrame({"text": raw["Comment"], "label": (raw["Majority_Label"] == "Offensive").astype(int)})


def _read_cold(folder: Path) -> pd.DataFrame:
    """COLDataset: train, dev and test; ``label`` 1 = offensive (test's fine-grained column is not needed)."""
    frames = [pd.read_csv(folder / f"{split}.csv", encoding="utf-8-sig", dtype={"TEXT": str})
              for split in COLD_SPLITS]
    raw = pd.concat(frames, ignore_index=True)
    return pd.DataFrame({"text": raw["TEXT"], "label": raw["label"].astype(int), "topic": raw["topic"]})


def _read_korean_hate(folder: Path) -> pd.DataFrame:
    """Korean HateSpeech: ``hate`` or ``offensive`` = toxic, ``none`` = not (PROVENANCE.md's binary map)."""
    frames = [pd.read_csv(folder / f"{split}.tsv", sep="\t", quoting=csv.QUOTE_NONE, dtype=str)
              for split in KOREAN_SPLITS]
    raw = pd.concat(frames, ignore_index=True)
    return pd.DataFrame({"text": raw["comments"], "label": raw["hate"].isin(KOREAN_TOXIC).astype(int),
                         "bias": raw["bias"]})


def _read_hatecheck(folder: Path) -> pd.DataFrame:
    frames = []
    for path in sorted(folder.glob("hatecheck_cases_final_*.csv")):
        raw = pd.read_csv(path)
        labels = raw["label_gold"].map({HATECHECK_POSITIVE: 1, HATECHECK_NEGATIVE: 0})
        frames.append(pd.DataFrame({"text": raw["test_case"], "label": labels,
                                    "language": HATECHECK_LANGUAGES[path.stem.rsplit("_", 1)[-1]]}))
    if not frames:
        raise FileNotFoundError(f"{folder}: no hatecheck_cases_final_*.csv files")
    return pd.concat(frames, ignore_index=True)


def _read_jigsaw(folder: Path) -> pd.DataFrame:
    raw = pd.read_csv(folder / "test_examples.csv")
    return pd.DataFrame({"text": raw["comment_text"], "label": raw["toxic"].astype(int)})


DATASETS: dict[str, Dataset] = {d.name: d for d in (
    Dataset("tweeteval_hate_en", "en", f"{MULTILINGUAL_DIR}/tweeteval_hate_en", _read_tweeteval,
            licence="TweetEval: no restrictions, task terms apply; HatEval: none stated"),
    Dataset("germeval2018_de", "de", f"{MULTILINGUAL_DIR}/germeval2018_de", _read_germeval,
            licence="CC BY 4.0"),
    Dataset("hateval2019_es", "es", f"{MULTILINGUAL_DIR}/hateval2019_es", _read_hateval_es,
            licence="none stated (unofficial redistribution: check the organisers' terms)"),
    Dataset("told_br_pt", "pt", f"{MULTILINGUAL_DIR}/told_br_pt", _read_told,
            licence="CC BY-SA 4.0"),
    Dataset("t_hsab_ar_tn", "ar", f"{MULTILINGUAL_DIR}/t_hsab_ar_tn", _read_t_hsab,
            licence="none stated"),
    Dataset("mpold_ar", "ar", f"{MULTILINGUAL_DIR}/arabic_offensive_multiplatform_ar", _read_mpold,
            licence="Apache-2.0"),
    Dataset("cold_zh", "zh", f"{MULTILINGUAL_DIR}/cold_zh", _read_cold,
            licence="Apache-2.0"),
    Dataset("korean_hate_speech_ko", "ko", f"{MULTILINGUAL_DIR}/korean_hate_speech_ko", _read_korean_hate,
            licence="CC BY-SA 4.0"),
    Dataset("hatecheck", None, "toxicity_multilingual_hatecheck", _read_hatecheck, real=False,
            licence="CC BY 4.0"),
    Dataset("jigsaw_sample", "en", "toxicity_jigsaw_sample_ibm_max", _read_jigsaw,
            licence="CC0"),
)}
# The default training recipe: every human-labelled set. HateCheck is left out on purpose: its templates taught
# the old model a style, not toxicity (real-text AUC 0.47-0.55); evals/toxicity_generalisation_eval.py measures both.
DEFAULT_RECIPE: tuple[str, ...] = (
    "tweeteval_hate_en", "germeval2018_de", "hateval2019_es", "told_br_pt", "t_hsab_ar_tn", "mpold_ar",
    "cold_zh", "korean_hate_speech_ko", "jigsaw_sample",
)


def register(dataset: Dataset) -> None:
    """Make ``dataset`` loadable by name; a higher layer that owns the data (the lexicon) registers its reader."""
    DATASETS[dataset.name] = dataset


def data_root(root: str | Path | None = None) -> Path:
    """The folder holding the dataset folders: ``root``, else $TOXICITY_DATA_ROOT, else ../shared/data."""
    return Path(root or os.environ.get(DATA_ROOT_ENV) or DEFAULT_DATA_ROOT)


def available(names: Iterable[str], root: str | Path | None = None) -> list[str]:
    """The named datasets whose folder exists under the data root."""
    base = data_root(root)
    return [name for name in names if DATASETS[name].folder is None or (base / DATASETS[name].folder).is_dir()]


def load_dataset(name: str, root: str | Path | None = None) -> pd.DataFrame:
    """One dataset as ``COLUMNS``; empty and unlabelled rows are dropped. Unknown names raise ValueError."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r} (known: {', '.join(DATASETS)})")
    spec = DATASETS[name]
    folder = None if spec.folder is None else data_root(root) / spec.folder
    if folder is not None and not folder.is_dir():
        raise FileNotFoundError(f"dataset {name}: folder {folder} not found (set ${DATA_ROOT_ENV} or --data-root)")
    frame = spec.reader(folder)
    if "language" not in frame.columns:
        frame["language"] = spec.language
    frame = frame.dropna(subset=["text", "label"])
    frame = frame[frame["text"].astype(str).str.strip() != ""]
    return pd.DataFrame({
        "text": frame["text"].astype(str).to_numpy(),
        "label": frame["label"].astype(int).to_numpy(),
        "language": frame["language"].to_numpy(),
        "dataset": name,
    })


def load_recipe(names: Iterable[str], root: str | Path | None = None) -> pd.DataFrame:
    """The named datasets stacked, in ``COLUMNS``."""
    frames = [load_dataset(name, root) for name in names]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(COLUMNS))
