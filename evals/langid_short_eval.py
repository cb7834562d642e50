"""Language id on short real texts: tweets and comments, HateCheck's short cases, SIB-200's sentences.

Each set has one known language (its PROVENANCE.md). A deterministic sample of each is normalised as silver does and
identified twice: ``before`` (``short_text_rules=False``: langdetect on the text as it is, the old behaviour) and
``after`` (silver's default: URLs, @mentions and emoji masked, capitals lowercased, texts with fewer than
``MIN_LETTERS`` letters left too short to judge; etl/silver/langid.py). Accuracy counts a too-short text as wrong
(silver falls back to the WET header's language there, which these sets do not have); ``judged_accuracy`` leaves
those out. ``<100`` columns: texts under 100 characters.

The short-text thresholds (SHORT_TEXT_MAX_CHARS, MIN_LETTERS, MAX_UPPER_SHARE, keeping hashtag words) were chosen on
the ``CHOSEN_ON`` sets only; every other set is held out. ``min_letters_curve``: on the chosen sets, langdetect's
accuracy on the prepared texts with fewer than L letters (MIN_LETTERS is the largest L where it is right on fewer
than half). HateCheck's Hindi cases are romanised, which langdetect has no profile for (0 by construction).

With ``pycld2`` importable (CLD2, what Common Crawl's header comes from) or ``lingua`` (lingua-language-detector),
their accuracy on the same texts is added: CLD2 on the raw text stands in for the header fallback, lingua is the
candidate second detector. Neither is a dependency.

Run: ``python evals/langid_short_eval.py`` prints the table and writes reports/eval_langid_short.json.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from etl.silver.langid import (MIN_LETTERS, detect_language, detect_series, normalise_lang,  # noqa: E402
                               prepare_short_text, weighted_letters)
from etl.models.normalize import normalize_series  # noqa: E402
from etl.models.toxicity_datasets import DATASETS, data_root, load_dataset  # noqa: E402

REPORT_PATH = ROOT / "reports/eval_langid_short.json"
TWEET_SETS = ("tweeteval_hate_en", "hateval2019_es", "t_hsab_ar_tn", "cold_zh",
              "germeval2018_de", "told_br_pt", "mpold_ar", "korean_hate_speech_ko")
CHOSEN_ON = ("tweeteval_hate_en", "hateval2019_es", "t_hsab_ar_tn", "cold_zh")  # one per script family
SIB200_DIR = "topic_sib200"
SIB200_SPLIT = "test"
SAMPLE_PER_SET = 1500
SAMPLE_PER_HATECHECK_LANGUAGE = 500
SHORT_CHARS = 100  # the "<100" columns
CURVE_MAX_LETTERS = 16


def _sample(frame: pd.DataFrame, n: int) -> pd.DataFrame:
    """Every k-th row, at most n: deterministic and spread over the file."""
    return frame.iloc[:: max(len(frame) // n, 1)].head(n).reset_index(drop=True)


def load_sets() -> dict[str, pd.DataFrame]:
    """Set name -> frame of (text, language), texts normalised as silver does; sets whose folder is absent skipped."""
    sets: dict[str, pd.DataFrame] = {}
    root = data_root()
    for name in TWEET_SETS:
        if name in DATASETS and (root / DATASETS[name].folder).is_dir():
            sets[name] = _sample(load_dataset(name)[["text", "language"]], SAMPLE_PER_SET)
    if (root / DATASETS["hatecheck"].folder).is_dir():
        for lang, group in load_dataset("hatecheck").groupby("language", sort=True):
            sets[f"hatecheck_{lang}"] = _sample(group[["text", "language"]], SAMPLE_PER_HATECHECK_LANGUAGE)
    for folder in sorted((root / SIB200_DIR).glob("*_*/")):
        raw = pd.read_csv(folder / f"{SIB200_SPLIT}.tsv", sep="\t", quoting=csv.QUOTE_NONE, dtype=str)
        sets[f"sib200_{folder.name}"] = pd.DataFrame(
            {"text": raw["text"], "language": normalise_lang(folder.name.split("_")[0])})
    for frame in sets.values():
        frame["text"] = normalize_series(frame["text"].astype(str))
    return sets


def _optional_detectors() -> dict:
    """name -> text -> canonical code, for the detectors importable here (see module doc)."""
    found = {}
    try:
        import pycld2

        def cld2(text: str) -> str | None:
            try:
                code = pycld2.detect(text)[2][0][1]
            except pycld2.error:
                return None
            return None if code == "un" else normalise_lang(code)

        found["cld2_raw_text"] = cld2
    except ImportError:
        pass
    try:
        from lingua import LanguageDetectorBuilder

        detector = LanguageDetectorBuilder.from_all_languages().build()

        def lingua(text: str) -> str | None:
            lang = detector.detect_language_of(prepare_short_text(text))
            return None if lang is None else normalise_lang(lang.iso_code_639_1.name.lower())

        found["lingua_masked"] = lingua
    except ImportError:
        pass
    return found


def _acc(hits: pd.Series) -> float | None:
    return round(float(hits.mean()), 4) if len(hits) else None


def evaluate_set(frame: pd.DataFrame, optional: dict) -> tuple[dict, pd.DataFrame]:
    """Figures for one set, and the per-text frame the curve is built from."""
    gold = frame["language"]
    before = detect_series(frame["text"], short_text_rules=False)
    after = detect_series(frame["text"])
    short = frame["text"].str.len() < SHORT_CHARS
    ok_before, ok_after = before["lang"] == gold, after["lang"] == gold
    judged = ~after["too_short"]
    out = {
        "language": gold.iloc[0],
        "chosen_on": False,
        "n": len(frame),
        "n_under_100": int(short.sum()),
        "accuracy_before": _acc(ok_before),
        "accuracy_after": _acc(ok_after),
        "accuracy_under_100_before": _acc(ok_before[short]),
        "accuracy_under_100_after": _acc(ok_after[short]),
        "too_short_share": _acc(after["too_short"]),
        "judged_accuracy_after": _acc(ok_after[judged]),
        "most_common_wrong_after": after["lang"][~ok_after].fillna("None").value_counts().head(3).to_dict(),
    }
    for name, detect in optional.items():
        out[f"accuracy_{name}"] = _acc(frame["text"].map(detect) == gold)
    detail = pd.DataFrame({"letters": frame["text"].map(lambda t: weighted_letters(prepare_short_text(t))),
                           "too_short": after["too_short"], "gold": gold, "after": after["lang"]})
    return out, detail


def min_letters_curve(details: list[pd.DataFrame]) -> list[dict]:
    """On the chosen sets: langdetect's accuracy on prepared texts with fewer than L letters (no minimum applied)."""
    frame = pd.concat(details, ignore_index=True)
    frame = frame[frame["letters"] < CURVE_MAX_LETTERS].copy()
    # A too-short text was never sent to langdetect: ask it now, on the prepared text, with no minimum.
    unjudged = frame["too_short"] & (frame["letters"] > 0)
    frame.loc[unjudged, "after"] = [
        detect_language(prepare_short_text(t), short_text_rules=False)[0] for t in frame.loc[unjudged, "text"]]
    ok = frame["after"] == frame["gold"]
    return [{"below_letters": cut, "n": int((frame["letters"] < cut).sum()),
             "accuracy": _acc(ok[frame["letters"] < cut])} for cut in range(1, CURVE_MAX_LETTERS + 1)]


def run() -> dict:
    """All figures as one JSON-ready dict (see module docstring)."""
    optional = _optional_detectors()
    per_set, chosen_details = {}, []
    for name, frame in load_sets().items():
        figures, detail = evaluate_set(frame, optional)
        figures["chosen_on"] = name in CHOSEN_ON
        per_set[name] = figures
        if name in CHOSEN_ON:
            chosen_details.append(detail.assign(text=frame["text"]))
    held_out = [f for f in per_set.values() if not f["chosen_on"]]
    return {
        "min_letters": MIN_LETTERS,
        "chosen_on": [name for name in CHOSEN_ON if name in per_set],
        "held_out_mean_accuracy_before": _acc(pd.Series([f["accuracy_before"] for f in held_out])),
        "held_out_mean_accuracy_after": _acc(pd.Series([f["accuracy_after"] for f in held_out])),
        "optional_detectors": sorted(optional),
        "per_set": per_set,
        "min_letters_curve": min_letters_curve(chosen_details) if chosen_details else [],
    }


def print_table(result: dict) -> None:
    extra = [f"accuracy_{name}" for name in result["optional_detectors"]]
    print(f"{'set':28}{'lang':>5}{'n':>6}{'<100':>6}{'before':>8}{'after':>8}{'<100 bef':>9}{'<100 aft':>9}"
          f"{'short':>7}{'judged':>8}" + "".join(f"{c[9:]:>15}" for c in extra))
    for name, f in result["per_set"].items():
        mark = "*" if f["chosen_on"] else " "
        cells = [f["accuracy_before"], f["accuracy_after"], f["accuracy_under_100_before"],
                 f["accuracy_under_100_after"]]
        print(f"{mark}{name:27}{f['language']:>5}{f['n']:>6}{f['n_under_100']:>6}"
              + "".join(f"{c:>8.3f}" if c is not None else f"{'-':>8}" for c in cells[:2])
              + "".join(f"{c:>9.3f}" if c is not None else f"{'-':>9}" for c in cells[2:])
              + f"{f['too_short_share']:>7.3f}{f['judged_accuracy_after']:>8.3f}"
              + "".join(f"{f[c]:>15.3f}" for c in extra))
    print("* = sets the thresholds were chosen on; the others are held out")
    print(f"held-out mean accuracy: before {result['held_out_mean_accuracy_before']:.4f}, "
          f"after {result['held_out_mean_accuracy_after']:.4f}")
    print(f"min_letters={result['min_letters']}; langdetect accuracy below L letters on the chosen sets:")
    print("  " + " ".join(f"<{p['below_letters']}:{p['accuracy'] if p['accuracy'] is not None else '-'}"
                          f"(n={p['n']})" for p in result["min_letters_curve"]))


if __name__ == "__main__":
    started = time.perf_counter()
    result = run()
    print_table(result)
    REPORT_PATH.parent.mkdir(parents=True, exist_ok=True)
    REPORT_PATH.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {REPORT_PATH.relative_to(ROOT)} in {time.perf_counter() - started:.0f}s")
