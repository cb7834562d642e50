"""Does the embedding toxicity model (tox_embed_score) generalise to real text it never saw? The protocol of
evals.toxicity_generalisation_eval (leave one dataset out, thresholds from the training sets' validation split,
the same targets), with the production fit (etl.models.toxicity_embedding_training.fit), so the two tables compare
row by row. The texts are embedded once; each fold fits a logistic regression on the others' embeddings.

Needs ../shared/data (or $TOXICITY_DATA_ROOT); skips cleanly without it. Run: ``python -m
evals.toxicity_embedding_eval`` (about 4 minutes on one core: the embedding, then seconds per fold)
-> reports/eval_toxicity_embedding.json.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from etl.models.thresholds import classification_report, roc_auc, threshold_for, trivial_baselines
from etl.models.toxicity_datasets import DATASETS, DEFAULT_RECIPE, available, load_recipe
from etl.models.embedding import load_encoder
from etl.models.toxicity_embedding_training import embed_labelled, fit
from evals.toxicity_generalisation_eval import (
    MIN_ROWS, TARGET_AUC_ALONE, TARGET_AUC_SHARED_LANGUAGE, TARGET_MACRO_F1_MARGIN, _target_auc,
)

ROOT = Path(__file__).resolve().parents[1]
REPORT_PATH = ROOT / "reports/eval_toxicity_embedding.json"


def run(recipe: tuple[str, ...] = DEFAULT_RECIPE) -> dict:
    started = time.perf_counter()
    names = available(recipe)
    if len(names) < 2:
        return {"skipped": "the labelled toxicity datasets are not there (../shared/data or $TOXICITY_DATA_ROOT)"}
    rows, x = embed_labelled(load_encoder(), load_recipe(names))
    embed_seconds = time.perf_counter() - started
    left_out: dict[str, dict] = {}
    for name in names:
        test = rows["dataset"] == name
        if test.sum() < MIN_ROWS:
            continue
        t0 = time.perf_counter()
        train_rows = rows[~test].reset_index(drop=True)
        model = fit(train_rows, x[~test.to_numpy()], progress=lambda _line: None)
        part = rows[test]
        scores = model.probabilities(x[test.to_numpy()])
        cut = np.array([threshold_for(model.meta["thresholds"], lang) for lang in part["language"]])
        report = classification_report(part["label"], scores > cut)
        baselines = trivial_baselines(part["label"])
        auc = round(roc_auc(part["label"], scores), 4)
        target = _target_auc(name, names)
        left_out[name] = {"language": DATASETS[name].language, "rows": int(test.sum()), "roc_auc": auc, **report,
                          **baselines, "l2": model.meta["l2"], "target_auc": target,
                          "meets_auc_target": bool(auc >= target),
                          "meets_macro_f1_target": bool(report["macro_f1"] >= max(baselines.values())
                                                        + TARGET_MACRO_F1_MARGIN),
                          "seconds": round(time.perf_counter() - t0, 1)}
        print(f"  {name}: AUC {auc:.3f}  macro-F1 {report['macro_f1']:.3f}", flush=True)
    return {
        "protocol": "leave one dataset out; L2 strength and thresholds chosen on a validation split of the training "
                    "datasets (evals.toxicity_generalisation_eval's protocol)",
        "targets": {"roc_auc_language_shared": TARGET_AUC_SHARED_LANGUAGE, "roc_auc_language_alone": TARGET_AUC_ALONE,
                    "macro_f1_over_best_baseline": TARGET_MACRO_F1_MARGIN},
        "recipe": names, "left_out": left_out,
        "mean_roc_auc": round(float(np.mean([v["roc_auc"] for v in left_out.values()])), 4),
        "all_targets_met": all(v["meets_auc_target"] and v["meets_macro_f1_target"] for v in left_out.values()),
        "embed_seconds": round(embed_seconds, 1), "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> int:
    result = run()
    REPORT_PATH.parent.mkdir(parents=True, exist_ok=True)
    REPORT_PATH.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "left_out"}, indent=1))
    print(f"wrote {REPORT_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
