"""How well the trained toxicity classifier does, next to the lexicon scorer on the same cases.

Data: Multilingual HateCheck, the full files in ../shared/data/toxicity_multilingual_hatecheck (skipped with
``{"skipped": reason}`` when absent: the 400-case bundled slice is too small to train on).

Split: by template family, never by case. HateCheck generates many cases from one template ("I hate
[IDENT_P]." with ten target groups), and derived cases (spelling variations, phrasing variants, profanity
contrasts) point to their source template in ``ref_templ_id``. A case-level split would put near-copies of
every test sentence in training. Each case's family is its ``templ_id`` followed through ``ref_templ_id`` to
the root; a seeded hash of the family id sends the whole family to train or test. Template ids are shared
across languages (template 1 is "I hate [IDENT_P]." in all ten), so a family's translations land on the same
side too. Fallbacks when columns are missing: ``ref_templ_id`` else the case id (recorded as ``split_key``).

Figures: precision / recall / F1 of ``tox_model_score >= 0.5`` per language on the test families, their mean
over languages (``classifier_macro_f1``), and the lexicon scorer on the very same cases with the rule the
lexicon eval chose (any dimension >= 2): ``lexicon_macro_f1_same_split``. Both see the same ``normalize_text``
output, as in silver. HateCheck is ~70% hateful, so flagging every case already scores F1 ~0.83
(``all_hateful_baseline_macro_f1``, the floor to beat), and ROC AUC per language shows ranking quality that a
fixed 0.5 threshold can hide. The model settings were chosen on a validation split of the *training*
families only; the test families were scored once. The Jigsaw sample (101 English Wikipedia comments, ``toxic`` label) is scored by the
HateCheck-trained model as an out-of-domain check: Jigsaw's "toxic" is mostly insults and profanity, not the
identity-based hate HateCheck labels, and 101 rows are too few to train on.

Run: ``python evals/toxicity_classifier_eval.py`` prints a table and writes reports/eval_toxicity_classifier.json.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from etl.silver.normalize import normalize_series  # noqa: E402
from etl.silver.toxicity_model import (  # noqa: E402
    HATECHECK_LANGUAGES,
    MODEL_SCORE_COL,
    ToxicityModelConfig,
    apply_model,
    train_toxicity_model,
)
from evals.toxicity_lexicon_eval import HATECHECK_DIR, HATEFUL, JIGSAW, predictions, prf  # noqa: E402

REPORT_PATH = ROOT / "reports/eval_toxicity_classifier.json"
TEST_FRACTION = 0.3
SEED = 17
THRESHOLD = 0.5
LEXICON_RULE = "dim2"  # the rule evals/toxicity_lexicon_eval.py chose (any dimension >= 2)
HASH_BUCKETS = 10_000
# Bounded so the eval takes a few minutes on 2 cores (see ToxicityModelConfig for the rest of the recipe).
MODEL_CONFIG = ToxicityModelConfig(num_features=1 << 18, max_iter=50)


def load_cases() -> pd.DataFrame | None:
    """All HateCheck cases with ``lang, text, gold, family`` columns, or None when the files are absent."""
    files = sorted(HATECHECK_DIR.glob("hatecheck_cases_final_*.csv")) if HATECHECK_DIR.is_dir() else []
    if not files:
        return None
    frames = []
    for path in files:
        raw = pd.read_csv(path).dropna(subset=["test_case"])
        family, key = template_families(raw)
        frames.append(
            pd.DataFrame(
                {
                    "lang": HATECHECK_LANGUAGES[path.stem.rsplit("_", 1)[-1]],
                    "text": raw["test_case"].astype(str).to_numpy(),
                    "gold": (raw["label_gold"] == HATEFUL).to_numpy(),
                    "family": family.to_numpy(),
                    "split_key": key,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def template_families(cases: pd.DataFrame) -> tuple[pd.Series, str]:
    """Each case's template family id (as a string) and which column defined it (see the module docstring)."""
    if "templ_id" in cases.columns:
        parent = {}
        if "ref_templ_id" in cases.columns:
            refs = cases.dropna(subset=["ref_templ_id"])
            parent = dict(zip(refs["templ_id"].astype(int), refs["ref_templ_id"].astype(int)))

        def root(templ: int) -> int:
            seen = set()
            while templ in parent and templ not in seen:  # `seen` guards against a cycle in the data
                seen.add(templ)
                templ = parent[templ]
            return templ

        return cases["templ_id"].astype(int).map(root).astype(str), "templ_id+ref_templ_id"
    if "ref_templ_id" in cases.columns:
        fallback = cases["mhc_case_id"].astype(str)
        return cases["ref_templ_id"].map(lambda v: None if pd.isna(v) else str(int(v))).fillna(fallback), "ref_templ_id"
    return cases["mhc_case_id"].astype(str), "mhc_case_id"


def in_test(family: str, seed: int = SEED, fraction: float = TEST_FRACTION) -> bool:
    """Seeded, stable across runs and machines (unlike Python's salted ``hash``)."""
    digest = hashlib.sha256(f"{seed}:{family}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % HASH_BUCKETS < fraction * HASH_BUCKETS


def classifier_scores(spark, model, texts: pd.Series) -> pd.Series:
    """Model probabilities for normalised texts, in input order (evaluation only: a few thousand rows)."""
    frame = pd.DataFrame({"row": range(len(texts)), "text": normalize_series(texts.reset_index(drop=True))})
    # Cached: a plain local frame lets the optimiser run the n-gram stages on the driver (ConvertToLocalRelation).
    rows = spark.createDataFrame(frame, "row long, text string").cache()
    try:
        scored = apply_model(rows, model).toPandas()
    finally:
        rows.unpersist()
    return scored.sort_values("row")[MODEL_SCORE_COL].reset_index(drop=True)


def roc_auc(gold: pd.Series, scores: pd.Series) -> float:
    """Mann-Whitney AUC (ties count half): threshold-free, so it shows ranking quality F1 at 0.5 can hide."""
    gold = pd.Series(gold).astype(bool).to_numpy()
    ranks = pd.Series(scores).rank(method="average").to_numpy()
    positives, negatives = int(gold.sum()), int((~gold).sum())
    if not positives or not negatives:
        return float("nan")
    return round(float((ranks[gold].sum() - positives * (positives + 1) / 2) / (positives * negatives)), 4)


def per_language(cases: pd.DataFrame, pred: pd.Series, scores: pd.Series | None = None) -> dict[str, dict]:
    pred = pd.Series(pred).reset_index(drop=True)
    out = {}
    for lang in sorted(cases["lang"].unique()):
        mask = (cases["lang"] == lang).to_numpy()
        out[lang] = prf(cases["gold"][mask], pred[mask])
        if scores is not None:
            out[lang]["roc_auc"] = roc_auc(cases["gold"][mask], scores[mask])
    return out


def macro_f1(metrics: dict[str, dict]) -> float:
    return round(sum(m["f1"] for m in metrics.values()) / len(metrics), 4)


def run(spark=None) -> dict:
    """All figures as one JSON-ready dict (see module docstring)."""
    started = time.perf_counter()
    cases = load_cases()
    if cases is None:
        return {"skipped": f"Multilingual HateCheck files not found in {HATECHECK_DIR}"}
    if spark is None:
        from etl.config import SparkConfig
        from etl.spark import get_spark

        spark = get_spark(SparkConfig(master="local[2]", shuffle_partitions=2, driver_memory="2g"))
    test_mask = cases["family"].map(in_test)
    train, test = cases[~test_mask].reset_index(drop=True), cases[test_mask].reset_index(drop=True)
    assert not set(train["family"]) & set(test["family"]), "a template family is on both sides"

    training = spark.createDataFrame(
        pd.DataFrame({"text": normalize_series(train["text"]), "label": train["gold"].astype(int),
                      "language": train["lang"]}),
        "text string, label int, language string",
    )
    model = train_toxicity_model(training, cfg=MODEL_CONFIG)
    trained = time.perf_counter()

    scores = classifier_scores(spark, model, test["text"])
    classifier = per_language(test, scores >= THRESHOLD, scores)
    lexicon = per_language(test, predictions(test["text"], test["lang"])[LEXICON_RULE])
    # HateCheck is ~70% hateful, so flagging everything already scores F1 ~0.82: the floor to beat.
    everything = per_language(test, pd.Series(True, index=test.index))

    jigsaw = pd.read_csv(JIGSAW)
    jigsaw_gold = jigsaw["toxic"] == 1
    jigsaw_scores = classifier_scores(spark, model, jigsaw["comment_text"].astype(str))
    jigsaw_lexicon = predictions(jigsaw["comment_text"].astype(str), pd.Series(["en"] * len(jigsaw)))

    return {
        "classifier_macro_f1": macro_f1(classifier),
        "lexicon_macro_f1_same_split": macro_f1(lexicon),
        "all_hateful_baseline_macro_f1": macro_f1(everything),
        "classifier_macro_roc_auc": round(sum(m["roc_auc"] for m in classifier.values()) / len(classifier), 4),
        "lexicon_rule": "any dimension >= 2 (dim2, as chosen in evals/toxicity_lexicon_eval.py)",
        "threshold": THRESHOLD,
        "split": {
            "by": cases["split_key"].iloc[0],
            "seed": SEED,
            "test_fraction_of_families": TEST_FRACTION,
            "families": int(cases["family"].nunique()),
            "test_families": int(test["family"].nunique()),
            "train_cases": len(train),
            "test_cases": len(test),
        },
        "model": {k: v for k, v in vars(MODEL_CONFIG).items()},
        "hatecheck_test": {"classifier": classifier, "lexicon": lexicon},
        "jigsaw_out_of_domain": {
            "note": "HateCheck-trained model on 101 English Jigsaw comments (toxic label); not trained on Jigsaw",
            "classifier": {**prf(jigsaw_gold, jigsaw_scores >= THRESHOLD),
                           "roc_auc": roc_auc(jigsaw_gold, jigsaw_scores)},
            "lexicon_dim2": prf(jigsaw_gold, jigsaw_lexicon[LEXICON_RULE]),
        },
        "seconds": {"train": round(trained - started, 1), "total": round(time.perf_counter() - started, 1)},
    }


def print_table(result: dict) -> None:
    if "skipped" in result:
        print(f"skipped: {result['skipped']}")
        return
    split = result["split"]
    print(f"HateCheck test split by {split['by']}: {split['test_families']}/{split['families']} template families, "
          f"{split['test_cases']} test / {split['train_cases']} train cases (seed {split['seed']})")
    print(f"{'lang':6}{'clf P':>8}{'R':>7}{'F1':>7}{'AUC':>7}{'lex P':>9}{'R':>7}{'F1':>7}{'n':>7}")
    tables = result["hatecheck_test"]
    for lang, c in tables["classifier"].items():
        lx = tables["lexicon"][lang]
        print(f"{lang:6}{c['precision']:>8.3f}{c['recall']:>7.3f}{c['f1']:>7.3f}{c['roc_auc']:>7.3f}"
              f"{lx['precision']:>9.3f}{lx['recall']:>7.3f}{lx['f1']:>7.3f}{c['n']:>7}")
    print(f"classifier_macro_f1={result['classifier_macro_f1']:.3f}  "
          f"lexicon_macro_f1_same_split={result['lexicon_macro_f1_same_split']:.3f}  "
          f"all_hateful_baseline_macro_f1={result['all_hateful_baseline_macro_f1']:.3f}  "
          f"classifier_macro_roc_auc={result['classifier_macro_roc_auc']:.3f}")
    print("Jigsaw sample, out of domain (HateCheck-trained model):")
    for name, m in result["jigsaw_out_of_domain"].items():
        if isinstance(m, dict):
            print(f"  {name:12} P={m['precision']:.3f} R={m['recall']:.3f} F1={m['f1']:.3f} (n={m['n']})")
    print(f"train {result['seconds']['train']}s, total {result['seconds']['total']}s")


if __name__ == "__main__":
    result = run()
    print_table(result)
    if "skipped" not in result:
        REPORT_PATH.parent.mkdir(parents=True, exist_ok=True)
        REPORT_PATH.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {REPORT_PATH.relative_to(ROOT)}")
