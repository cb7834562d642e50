"""How well the lexicon toxicity scorer and language id do on labelled data.

Toxicity: precision / recall / F1 per language on Multilingual HateCheck (label_gold hateful vs non-hateful; the full
files in ../shared/data/toxicity_multilingual_hatecheck, or the bundled 400-case slice when that folder is absent) and
on the Jigsaw sample (toxic column). Two decision rules are measured: ``tier`` (hateful when tox_tier != "none") and
``dim2`` (hateful when any dimension >= 2). ONE rule is chosen for all languages, the one with the higher macro F1 over
the HateCheck languages, and reported as ``lexicon_macro_f1``; no per-language tuning on the test set. Texts go through
``normalize_text`` first and are scored with their gold language, so the figures measure the lexicons, not langid.

Language id: accuracy on the 63 real OSCAR records (OSCAR's fastText label as reference) and on HateCheck (its language
as reference; a deterministic sample per language to keep the run short). HateCheck's Hindi cases are romanised
(Latin script), which langdetect has no profile for.

Run: ``python evals/toxicity_lexicon_eval.py`` prints a table and writes reports/eval_toxicity_lexicon.json.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from etl.silver.langid import detect_series, normalise_lang  # noqa: E402
from etl.models.normalize import normalize_series  # noqa: E402
from etl.silver.toxicity import DIMENSIONS, score_toxicity_series  # noqa: E402

HATECHECK_DIR = ROOT.parent / "shared" / "data" / "toxicity_multilingual_hatecheck"
HATECHECK_SLICE = ROOT / "tests/data/hatecheck/hatecheck_slice.csv"
JIGSAW = ROOT / "tests/data/jigsaw/test_examples.csv"
OSCAR = ROOT / "tests/data/oscar_2021/oscar_22.01_sample_63docs.jsonl"
from etl.models.text_classifier import HATECHECK_LANGUAGES  # noqa: E402

REPORT_PATH = ROOT / "reports/eval_toxicity_lexicon.json"
HATEFUL = "hateful"
RULES = ("tier", "dim2")
DIM2_THRESHOLD = 2
LANGID_SAMPLE_PER_LANG = 300
HATECHECK_LANGS = HATECHECK_LANGUAGES  # one mapping, owned by the package


def load_hatecheck() -> tuple[pd.DataFrame, str]:
    """HateCheck cases as (language code, text, gold bool), and which source was used."""
    files = sorted(HATECHECK_DIR.glob("hatecheck_cases_final_*.csv")) if HATECHECK_DIR.is_dir() else []
    if files:
        frames = []
        for path in files:
            name = path.stem.rsplit("_", 1)[-1]
            frame = pd.read_csv(path, usecols=["test_case", "label_gold"])
            frames.append(frame.assign(language=name))
        cases, source = pd.concat(frames, ignore_index=True), "full"
    else:
        cases, source = pd.read_csv(HATECHECK_SLICE), "slice"
    cases = cases.dropna(subset=["test_case"])
    return (
        pd.DataFrame(
            {
                "lang": cases["language"].map(HATECHECK_LANGS).to_numpy(),
                "text": cases["test_case"].astype(str).to_numpy(),
                "gold": (cases["label_gold"] == HATEFUL).to_numpy(),
            }
        ),
        source,
    )


def predictions(texts: pd.Series, langs: pd.Series) -> pd.DataFrame:
    """Both decision rules' predictions for normalised texts."""
    scores = score_toxicity_series(normalize_series(texts), langs)
    dim_columns = [f"tox_{d}" for d in DIMENSIONS]
    return pd.DataFrame(
        {
            "tier": (scores["tox_tier"] != "none").to_numpy(),
            "dim2": (scores[dim_columns] >= DIM2_THRESHOLD).any(axis=1).to_numpy(),
            "obscene": (scores["obscenity_hits"] > 0).to_numpy(),
        }
    )


def prf(gold: pd.Series, pred: pd.Series) -> dict[str, float]:
    gold, pred = pd.Series(gold).astype(bool).to_numpy(), pd.Series(pred).astype(bool).to_numpy()
    tp = int((gold & pred).sum())
    fp = int((~gold & pred).sum())
    fn = int((gold & ~pred).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "n": len(gold),
        "positives": int(gold.sum()),
    }


def hatecheck_eval() -> dict:
    cases, source = load_hatecheck()
    pred = predictions(cases["text"], cases["lang"])
    per_lang: dict[str, dict] = {}
    for lang in sorted(cases["lang"].unique()):
        mask = (cases["lang"] == lang).to_numpy()
        per_lang[lang] = {rule: prf(cases["gold"][mask], pred[rule][mask]) for rule in RULES}
    macro = {
        rule: round(sum(per_lang[lang][rule]["f1"] for lang in per_lang) / len(per_lang), 4)
        for rule in RULES
    }
    return {"source": source, "per_language": per_lang, "macro_f1": macro}


def jigsaw_eval() -> dict:
    frame = pd.read_csv(JIGSAW)
    pred = predictions(frame["comment_text"].astype(str), pd.Series(["en"] * len(frame)))
    gold = frame["toxic"] == 1
    result = {rule: prf(gold, pred[rule]) for rule in RULES}
    # Jigsaw's "toxic" includes plain profanity, which the LDNOOBW count (not the lexicon) measures.
    result["obscenity_hits>0"] = prf(gold, pred["obscene"])
    result["dim2_or_obscenity"] = prf(gold, pred["dim2"] | pred["obscene"])
    return result


def langid_eval() -> dict:
    rows = [json.loads(line) for line in OSCAR.read_text(encoding="utf-8").splitlines()]
    texts = pd.Series([r["content"] for r in rows])
    labels = pd.Series([normalise_lang(r["metadata"]["identification"]["label"]) for r in rows])
    oscar = {
        "n": len(rows),
        "accuracy": round(float((detect_series(texts)["lang"] == labels).mean()), 4),
        "accuracy_without_cjk_script_rule": round(
            float((detect_series(texts, script_rules=False)["lang"] == labels).mean()), 4
        ),
    }
    cases, source = load_hatecheck()
    per_lang = {}
    for lang, group in cases.groupby("lang", sort=True):
        step = max(len(group) // LANGID_SAMPLE_PER_LANG, 1)
        sample = group.iloc[::step].head(LANGID_SAMPLE_PER_LANG)
        detected = detect_series(sample["text"].reset_index(drop=True))
        per_lang[lang] = {
            "n": len(sample),
            "accuracy": round(float((detected["lang"] == lang).mean()), 4),
            "most_common": detected["lang"].fillna("None").value_counts().head(3).to_dict(),
        }
    total = sum(v["n"] for v in per_lang.values())
    overall = sum(v["accuracy"] * v["n"] for v in per_lang.values()) / total
    return {
        "oscar_63": oscar,
        "hatecheck": {"source": source, "accuracy": round(overall, 4), "per_language": per_lang},
    }


def run() -> dict:
    """All figures as one JSON-ready dict (see module docstring)."""
    hatecheck = hatecheck_eval()
    chosen = max(RULES, key=lambda rule: hatecheck["macro_f1"][rule])
    return {
        "decision_rule": chosen,
        "decision_rule_note": "tier: tox_tier != 'none'; dim2: any dimension >= 2. The rule with the higher "
        "HateCheck macro F1 is chosen once for all languages.",
        "lexicon_macro_f1": hatecheck["macro_f1"][chosen],
        "hatecheck": hatecheck,
        "jigsaw": jigsaw_eval(),
        "langid": langid_eval(),
    }


def print_table(result: dict) -> None:
    hatecheck = result["hatecheck"]
    print(f"HateCheck ({hatecheck['source']}): precision / recall / F1 per language")
    print(f"{'lang':6}" + "".join(f"{rule + ' P':>9}{'R':>7}{'F1':>7}" for rule in RULES) + f"{'n':>7}")
    for lang, rules in hatecheck["per_language"].items():
        cells = "".join(
            f"{rules[r]['precision']:>9.3f}{rules[r]['recall']:>7.3f}{rules[r]['f1']:>7.3f}" for r in RULES
        )
        print(f"{lang:6}{cells}{rules[RULES[0]]['n']:>7}")
    print("macro F1: " + ", ".join(f"{r}={v:.3f}" for r, v in hatecheck["macro_f1"].items()))
    print(f"chosen rule: {result['decision_rule']}  lexicon_macro_f1={result['lexicon_macro_f1']:.3f}")
    print("Jigsaw sample (en, toxic):")
    for name, m in result["jigsaw"].items():
        print(f"  {name:20} P={m['precision']:.3f} R={m['recall']:.3f} F1={m['f1']:.3f} (n={m['n']})")
    langid = result["langid"]
    oscar = langid["oscar_63"]
    print(
        f"langid OSCAR 63: accuracy={oscar['accuracy']:.3f} "
        f"(without CJK script rule {oscar['accuracy_without_cjk_script_rule']:.3f})"
    )
    print(f"langid HateCheck ({langid['hatecheck']['source']}): accuracy={langid['hatecheck']['accuracy']:.3f}")
    for lang, m in langid["hatecheck"]["per_language"].items():
        print(f"  {lang:4} {m['accuracy']:.3f}  {m['most_common']}")


if __name__ == "__main__":
    started = time.perf_counter()
    result = run()
    print_table(result)
    REPORT_PATH.parent.mkdir(parents=True, exist_ok=True)
    REPORT_PATH.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {REPORT_PATH.relative_to(ROOT)} in {time.perf_counter() - started:.0f}s")
