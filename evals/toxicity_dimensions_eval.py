"""The five toxicity dimensions learned from data (issue 21 item 3): held-out ROC AUC per dimension, and how often
``tox_model_tier`` says toxic on HateCheck's non-hateful cases.

Protocol, per dimension (rows of ``etl.models.dimension_datasets``):

* **Two or more sources** with positives (race_origin, gender_sex, violence): leave one source out. The regression
  trains on every other set's rows (the production recipe, ``etl.models.text_classifier``), the left-out set is
  scored once. The feature pipeline (hashing + IDF, no labels) is fitted once on every text to keep the run short.
* **One source** (religion, ability: HateCheck only): the production split, HateCheck templates held out whole.
* Beside each AUC, the lexicon's ``tox_<dimension>`` on the same rows.
* **HateCheck's non-hateful cases** of the held-out templates, scored by the bundled model: the share of
  ``tox_model_tier`` toxic and mild-or-toxic, per language, next to the hateful cases and the lexicon tier.

    python -m evals.toxicity_dimensions_eval     # -> reports/eval_toxicity_dimensions.json
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

from etl.models.dimension_datasets import DIMENSIONS, load_dimension_rows  # noqa: E402
from etl.models.dimension_model import load_dimensions_model  # noqa: E402
from etl.models.dimension_training import DIMENSION_MODEL_CONFIG, score_dimensions  # noqa: E402
from etl.models.normalize import normalize_series  # noqa: E402
from etl.models.text_classifier import (FEATURES_COL, INPUT_COL, PREFIX, TOXIC_CLASS, feature_stages,  # noqa: E402
                                        logistic_regression, probability_col)
from etl.models.thresholds import roc_auc  # noqa: E402
from etl.models.toxicity_training import SPLIT_SEED, VALIDATION_FRACTION, in_validation  # noqa: E402
from etl.silver.toxicity import TIER_MILD, TIER_TOXIC, score_toxicity_series, toxicity_tier  # noqa: E402

REPORT_PATH = ROOT / "reports/eval_toxicity_dimensions.json"
HATECHECK = "hatecheck"
LABEL = f"{PREFIX}y"


def _auc(gold, scores) -> float | None:
    gold = np.asarray(gold)
    return round(roc_auc(gold, scores), 4) if 0 < gold.sum() < len(gold) else None


def _featurised(spark, rows: pd.DataFrame):
    """Every row's features (one fit of the feature stages on every text), cached, with its row index."""
    from pyspark.ml import Pipeline

    # Persisted first: on a local frame the optimiser would otherwise run the n-gram stages on the driver.
    frame = spark.createDataFrame(pd.DataFrame({"row": np.arange(len(rows)), INPUT_COL: rows["text"].to_numpy()}),
                                  f"row long, {INPUT_COL} string").persist()
    features = Pipeline(stages=feature_stages(DIMENSION_MODEL_CONFIG)).fit(frame)
    featurised = features.transform(frame).select("row", FEATURES_COL).persist()
    featurised.count()
    frame.unpersist()
    return featurised


def _fold(spark, featurised, rows: pd.DataFrame, dim: str, train: np.ndarray, test: np.ndarray) -> np.ndarray:
    """P(dim) for the ``test`` rows from a regression fitted on the ``train`` rows."""
    from pyspark.ml.functions import vector_to_array
    from pyspark.sql import functions as F

    labels = spark.createDataFrame(pd.DataFrame({"row": np.flatnonzero(train), LABEL: rows[dim].to_numpy()[train]}),
                                   f"row long, {LABEL} double")
    training = featurised.join(labels, "row").persist()
    model = logistic_regression(DIMENSION_MODEL_CONFIG, LABEL).fit(training)
    training.unpersist()
    wanted = spark.createDataFrame(pd.DataFrame({"row": np.flatnonzero(test)}), "row long")
    scored = model.transform(featurised.join(wanted, "row")).select(
        "row", vector_to_array(F.col(probability_col()))[TOXIC_CLASS].alias("p")).toPandas()
    return scored.set_index("row").loc[np.flatnonzero(test), "p"].to_numpy()


def held_out_aucs(spark, rows: pd.DataFrame, lexicon: pd.DataFrame) -> dict:
    """Per dimension: leave-one-source-out AUCs (or the held-out split's), with the lexicon's AUC on the same rows."""
    featurised = _featurised(spark, rows)
    held = in_validation(rows["group"].astype(str), VALIDATION_FRACTION, SPLIT_SEED)
    out: dict = {}
    for dim in DIMENSIONS:
        known = rows[dim].notna().to_numpy()
        sources = sorted(rows.loc[rows[dim] == 1, "dataset"].unique())
        folds = [(s, known & (rows["dataset"] != s).to_numpy(), known & (rows["dataset"] == s).to_numpy())
                 for s in sources] if len(sources) > 1 else \
            [(f"{sources[0]} (held-out templates)", known & ~held, known & held)]
        out[dim] = {}
        for name, train, test in folds:
            started = time.time()
            scores = _fold(spark, featurised, rows, dim, train, test)
            gold = rows[dim].to_numpy()[test]
            out[dim][name] = {"protocol": "leave one source out" if len(sources) > 1 else "held-out split",
                              "n": int(test.sum()), "positives": int(gold.sum()), "roc_auc": _auc(gold, scores),
                              "lexicon_auc": _auc(gold, lexicon[f"tox_{dim}"].to_numpy()[test]),
                              "seconds": round(time.time() - started, 1)}
            print(f"{dim:12} {name:38} AUC {out[dim][name]['roc_auc']}  lexicon {out[dim][name]['lexicon_auc']}  "
                  f"n {out[dim][name]['n']}", flush=True)
    featurised.unpersist()
    return out


def hatecheck_tiers(spark, rows: pd.DataFrame, lexicon: pd.DataFrame) -> dict:
    """The bundled model's tier on HateCheck's held-out templates, non-hateful and hateful, per language."""
    model, thresholds = load_dimensions_model(spark)
    held = in_validation(rows["group"].astype(str), VALIDATION_FRACTION, SPLIT_SEED)
    part = (rows["dataset"] == HATECHECK).to_numpy() & held
    cases = rows[part].reset_index(drop=True)
    probabilities = score_dimensions(spark, model, cases["text"])
    levels = pd.DataFrame({d: sum((probabilities[d] >= c).astype(int) for c in thresholds[d]) for d in DIMENSIONS})
    tiers = pd.Series([toxicity_tier(dict(r)) for r in levels.to_dict("records")])
    lexicon_tiers = lexicon.loc[part, "tox_tier"].reset_index(drop=True)
    hateful = (cases[list(DIMENSIONS)].fillna(1).sum(axis=1) > 0).to_numpy()
    out = {}
    for language, idx in cases.groupby("language").groups.items():
        idx = np.asarray(idx)
        entry = {}
        for kind, mask in (("non_hateful", ~hateful[idx]), ("hateful", hateful[idx])):
            chosen = idx[mask]
            entry[kind] = {"n": int(len(chosen)),
                           "model_toxic": round(float((tiers[chosen] == TIER_TOXIC).mean()), 4),
                           "model_mild_or_toxic": round(float(tiers[chosen].isin([TIER_MILD, TIER_TOXIC]).mean()), 4),
                           "lexicon_toxic": round(float((lexicon_tiers[chosen] == TIER_TOXIC).mean()), 4)}
        out[language] = entry
    return out


def run(spark=None) -> dict:
    rows = load_dimension_rows()
    if rows.empty:
        return {"skipped": "no labelled sets under the data root"}
    if spark is None:
        from etl.spark import get_spark

        spark = get_spark()
    started = time.time()
    rows = rows.assign(text=normalize_series(rows["text"]).to_numpy())
    lexicon = score_toxicity_series(rows["text"], rows["language"]).reset_index(drop=True)
    result = {"held_out": held_out_aucs(spark, rows, lexicon), "hatecheck_tiers": hatecheck_tiers(spark, rows, lexicon)}
    result["seconds"] = round(time.time() - started, 1)
    return result


if __name__ == "__main__":
    outcome = run()
    print(json.dumps(outcome, indent=1))
    if "skipped" not in outcome:
        REPORT_PATH.parent.mkdir(parents=True, exist_ok=True)
        REPORT_PATH.write_text(json.dumps(outcome, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {REPORT_PATH.relative_to(ROOT)}")
