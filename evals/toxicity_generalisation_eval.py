"""Does the toxicity classifier generalise to real text it never saw? Leave-one-dataset-out on eight real sets.

For every human-labelled dataset D with at least ``MIN_ROWS`` rows (etl.models.toxicity_datasets): train with the
production code (etl.models.toxicity_training.fit) on every OTHER set of the recipe, choose the thresholds on
their validation split, then score D once. Per left-out set: ROC AUC, precision / recall / F1 of the toxic class,
macro-F1 (mean of both classes' F1) at the chosen threshold, and the trivial baselines beside them (flag
everything; predict the majority class). Targets (issue 21, item 4): AUC >= 0.80 where another training set shares
the left-out set's language, >= 0.70 where none does; macro-F1 >= best baseline + 0.15.

The default model (every set trains, as ``make model`` builds it) is reported too, on each set's held-out
validation rows: in-domain figures, next to the out-of-domain ones above. Beside the classifier, the lexicon signals silver stores are scored on the same rows as rankers (``tox_total``
and the LDNOOBW hit count), so their value on real text is measured, not assumed; and a HateCheck-only model
(the old recipe) is scored on every set, to show what template training gives.

Needs ../shared/data (or $TOXICITY_DATA_ROOT); skips cleanly without it. Run: ``python -m
evals.toxicity_generalisation_eval`` (about 25 minutes on 2 cores for the eight folds, plus two reference fits that
``--no-references`` skips) -> reports/eval_toxicity_generalisation.json.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from etl.silver.toxicity import score_toxicity_series  # noqa: E402
from etl.models.toxicity_datasets import DATASETS, DEFAULT_RECIPE, available, load_recipe  # noqa: E402
from etl.models.text_classifier import ToxicityModelConfig  # noqa: E402
from etl.models.thresholds import classification_report, roc_auc, threshold_for, trivial_baselines  # noqa: E402
from etl.models.toxicity_training import fit, normalised, score_texts  # noqa: E402

REPORT_PATH = ROOT / "reports/eval_toxicity_generalisation.json"
MIN_ROWS = 1_000
TARGET_AUC_SHARED_LANGUAGE = 0.80  # another set of the recipe is in the left-out set's language
TARGET_AUC_ALONE = 0.70  # the left-out set is the only one of its language
TARGET_MACRO_F1_MARGIN = 0.15
MODEL_CONFIG = ToxicityModelConfig()
NO_REFERENCES_FLAG = "--no-references"  # command line: skip the in-domain and HateCheck-only reference models


def _lexicon_rankers(frame: pd.DataFrame) -> dict:
    """The stored lexicon signals on the same rows: as rankers (AUC) and as gold's tier decisions."""
    signals = score_toxicity_series(frame["text"], frame["language"])
    hits = signals["obscenity_hits"].astype("float64").fillna(0.0)
    tiers = signals["tox_tier"]
    return {"tox_total_auc": round(roc_auc(frame["label"], signals["tox_total"]), 4),
            "obscenity_hits_auc": round(roc_auc(frame["label"], hits), 4),
            "tier_toxic": classification_report(frame["label"], tiers == "toxic"),
            "tier_mild_or_toxic": classification_report(frame["label"], tiers.isin(["mild", "toxic"]))}


def _target_auc(name: str, names: list[str]) -> float:
    """Item 4's AUC target for a left-out set: higher when another training set shares its language."""
    shared = any(DATASETS[other].language == DATASETS[name].language for other in names if other != name)
    return TARGET_AUC_SHARED_LANGUAGE if shared else TARGET_AUC_ALONE


def _evaluate(spark, trained, test: pd.DataFrame, target_auc: float = TARGET_AUC_ALONE) -> dict:
    scores = score_texts(spark, trained.model, test["text"])
    cut = np.array([threshold_for(trained.thresholds, lang) for lang in test["language"]])
    report = classification_report(test["label"], scores > cut)
    baselines = trivial_baselines(test["label"])
    best = max(baselines.values())
    auc = round(roc_auc(test["label"], scores), 4)
    return {
        "roc_auc": auc, **report, **baselines, "threshold": float(np.unique(cut)[0]) if len(np.unique(cut)) == 1
        else {lang: threshold_for(trained.thresholds, lang) for lang in sorted(test["language"].unique())},
        "target_auc": target_auc, "meets_auc_target": bool(auc >= target_auc),
        "meets_macro_f1_target": bool(report["macro_f1"] >= best + TARGET_MACRO_F1_MARGIN),
    }


def run(spark=None, recipe: tuple[str, ...] = DEFAULT_RECIPE, training_only: tuple[str, ...] = (),
        references: bool = True) -> dict:
    """``recipe`` sets are each left out in turn; ``training_only`` sets (templates, lexicons) only ever train.
    ``references=False`` skips the two reference models (all sets in-domain, HateCheck only): about 2 fits fewer."""
    started = time.perf_counter()
    names = available(recipe)
    if len(names) < 2:
        return {"skipped": "the labelled toxicity datasets are not there (../shared/data or $TOXICITY_DATA_ROOT)"}
    if spark is None:
        from etl.config import SparkConfig
        from etl.spark import get_spark

        spark = get_spark(SparkConfig(master="local[2]", shuffle_partitions=2, driver_memory="4g"))
    data = load_recipe(names)
    extra = load_recipe(available(training_only))
    left_out: dict[str, dict] = {}
    for name in names:
        test = data[data["dataset"] == name]
        if len(test) < MIN_ROWS:
            continue
        t0 = time.perf_counter()
        trained = fit(spark, pd.concat([data[data["dataset"] != name], extra], ignore_index=True), MODEL_CONFIG)
        test = normalised(test)
        left_out[name] = {"language": DATASETS[name].language, "train_datasets": trained.datasets,
                          **_evaluate(spark, trained, test, _target_auc(name, names)), **_lexicon_rankers(test),
                          "seconds": round(time.perf_counter() - t0, 1)}
        print(f"  {name}: AUC {left_out[name]['roc_auc']:.3f}  macro-F1 {left_out[name]['macro_f1']:.3f}", flush=True)

    result: dict = {
        "protocol": "leave one dataset out; thresholds chosen on a validation split of the training datasets",
        "targets": {"roc_auc_language_shared": TARGET_AUC_SHARED_LANGUAGE, "roc_auc_language_alone": TARGET_AUC_ALONE,
                    "macro_f1_over_best_baseline": TARGET_MACRO_F1_MARGIN},
        "recipe": names, "training_only": available(training_only), "model": vars(MODEL_CONFIG), "left_out": left_out,
        "mean_roc_auc": round(float(np.mean([v["roc_auc"] for v in left_out.values()])), 4),
        "all_targets_met": all(v["meets_auc_target"] and v["meets_macro_f1_target"] for v in left_out.values()),
    }
    if not references:
        result["seconds"] = round(time.perf_counter() - started, 1)
        return result
    # The default model (`make model`): every set trains; each one's held-out validation rows are in-domain figures.
    default = fit(spark, pd.concat([data, extra], ignore_index=True), MODEL_CONFIG)
    result["default_model"] = {"thresholds": default.thresholds, "rows": default.rows,
                               "validation_in_domain": default.validation}
    if available(["hatecheck"]) and not training_only:  # the old recipe, templates only, on the same real sets
        trained = fit(spark, load_recipe(["hatecheck"]), MODEL_CONFIG)
        result["hatecheck_only_model"] = {
            name: {k: v for k, v in _evaluate(spark, trained, normalised(data[data["dataset"] == name])).items()
                   if k in ("roc_auc", "macro_f1", "flagged_share", "all_positive_macro_f1", "majority_macro_f1")}
            for name in left_out
        }
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def print_table(result: dict) -> None:
    if "skipped" in result:
        print(f"skipped: {result['skipped']}")
        return
    print(f"{'left-out set':20}{'lang':>5}{'AUC':>7}{'P':>7}{'R':>7}{'F1':>7}{'macroF1':>9}{'all+':>7}"
          f"{'major':>7}{'lexAUC':>8}{'ldnAUC':>8}{'tmpl AUC':>9}{'n':>7}{'target':>7}")
    template = result.get("hatecheck_only_model", {})
    for name, m in result["left_out"].items():
        old = template.get(name, {}).get("roc_auc", float("nan"))
        print(f"{name:20}{m['language']:>5}{m['roc_auc']:>7.3f}{m['precision']:>7.3f}{m['recall']:>7.3f}"
              f"{m['f1']:>7.3f}{m['macro_f1']:>9.3f}{m['all_positive_macro_f1']:>7.3f}{m['majority_macro_f1']:>7.3f}"
              f"{m['tox_total_auc']:>8.3f}{m['obscenity_hits_auc']:>8.3f}{old:>9.3f}{m['n']:>7}"
              f"{m['target_auc']:>7.2f}")
    print(f"mean AUC {result['mean_roc_auc']:.3f}; all targets met: {result['all_targets_met']}; "
          f"{result['seconds']} s")
    if "default_model" not in result:
        return
    default = result["default_model"]
    print(f"default model (every set trains), thresholds {default['thresholds']}; in-domain validation:")
    for name, m in default["validation_in_domain"].items():
        print(f"  {name:20} AUC {m['roc_auc']:.3f}  macro-F1 {m['macro_f1']:.3f}  n {m['n']}")


if __name__ == "__main__":
    # Optional: names of sets that only train (e.g. `lexicon_seeds hatecheck`), to measure what they add.
    args = [a for a in sys.argv[1:] if a != NO_REFERENCES_FLAG]
    outcome = run(training_only=tuple(args), references=NO_REFERENCES_FLAG not in sys.argv[1:])
    print_table(outcome)
    if "skipped" not in outcome:
        REPORT_PATH.parent.mkdir(parents=True, exist_ok=True)
        REPORT_PATH.write_text(json.dumps(outcome, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {REPORT_PATH.relative_to(ROOT)}")
