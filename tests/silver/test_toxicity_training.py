"""Tests for the toxicity training path: dataset readers, metrics, threshold choice, the validation split."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from etl.models.toxicity_datasets import DATASETS, DEFAULT_RECIPE, available, load_dataset
from etl.models.thresholds import (
    ANY_LANGUAGE,
    MIN_ROWS_PER_CLASS_FOR_LANGUAGE_THRESHOLD,
    choose_threshold,
    choose_thresholds,
    classification_report,
    roc_auc,
    threshold_for,
    trivial_baselines,
)
from etl.models.toxicity_training import in_validation

# Rows and positives after dropping empty texts, as PROVENANCE.md of toxicity_train_multilingual counts them
# (tweeteval: 12,970 lines, of which 8 are empty; the label map is the one PROVENANCE.md states per set).
PROVENANCE_COUNTS = {
    "tweeteval_hate_en": (12_962, None),
    "germeval2018_de": (8_541, 2_890),
    "hateval2019_es": (5_000, 2_079),
    "told_br_pt": (21_000, 9_255),
    "t_hsab_ar_tn": (6_024, 2_204),
    "mpold_ar": (4_000, 675),
}


def _pairwise_auc(gold, scores) -> float:
    """The definition: P(score of a random positive > score of a random negative), ties half."""
    pos = [s for g, s in zip(gold, scores) if g]
    neg = [s for g, s in zip(gold, scores) if not g]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(pos, neg))
    return wins / (len(pos) * len(neg))


def test_roc_auc_matches_the_pairwise_definition_with_ties():
    rng = np.random.default_rng(3)
    gold = rng.random(300) < 0.3
    scores = np.round(rng.random(300) + gold * 0.3, 1)  # rounding makes many ties
    assert roc_auc(gold, scores) == pytest.approx(_pairwise_auc(gold, scores))
    assert np.isnan(roc_auc([True, True], [0.1, 0.2]))


def test_classification_report_and_baselines():
    gold = [1, 1, 1, 0]
    everything = classification_report(gold, [1, 1, 1, 1])
    assert everything["f1"] == pytest.approx(6 / 7, abs=1e-4) and everything["f1_non_toxic"] == 0.0
    assert everything["macro_f1"] == pytest.approx(3 / 7, abs=1e-4)
    base = trivial_baselines(gold)
    assert base["all_positive_macro_f1"] == everything["macro_f1"]
    assert base["majority_macro_f1"] == everything["macro_f1"]  # the majority here is "toxic"
    assert classification_report([], [])["macro_f1"] == 0.0


def test_threshold_separates_separable_scores_and_prefers_the_higher_of_ties():
    gold = np.array([0] * 50 + [1] * 50, bool)
    scores = np.r_[np.linspace(0.0, 0.3, 50), np.linspace(0.6, 1.0, 50)]
    t = choose_threshold(gold, scores)
    assert 0.3 <= t < 0.6
    assert classification_report(gold, scores > t)["macro_f1"] == 1.0


def test_threshold_averages_over_groups_so_a_big_group_does_not_decide_alone():
    # The big group is best cut low; the small one's negatives sit among the big one's positives, so it needs a
    # higher cut. Pooled, the big group decides; averaged per group, the small one counts as much.
    rng = np.random.default_rng(0)
    big = rng.random(2000) < 0.5
    big_scores = np.where(big, 0.35 + rng.random(2000) * 0.25, 0.05 + rng.random(2000) * 0.1)
    small = rng.random(200) < 0.5
    small_scores = np.where(small, 0.8, 0.36) + rng.random(200) * 0.08
    gold, scores = np.r_[big, small], np.r_[big_scores, small_scores]
    groups = np.r_[["big"] * 2000, ["small"] * 200]
    pooled, grouped = choose_threshold(gold, scores), choose_threshold(gold, scores, groups)
    assert pooled < 0.35 <= grouped
    small_mask = groups == "small"
    assert classification_report(gold[small_mask], scores[small_mask] > grouped)["macro_f1"] == 1.0


def test_language_thresholds_need_enough_rows_and_fall_back_to_any_language():
    n = MIN_ROWS_PER_CLASS_FOR_LANGUAGE_THRESHOLD
    gold = np.r_[np.zeros(n, bool), np.ones(n, bool), [False, True]]
    scores = np.r_[np.full(n, 0.1), np.full(n, 0.9), [0.2, 0.3]]
    langs = np.r_[["ar"] * (2 * n), [None, "de"]]
    thresholds = choose_thresholds(gold, scores, langs)
    assert set(thresholds) == {ANY_LANGUAGE, "ar"}
    assert threshold_for(thresholds, "de") == thresholds[ANY_LANGUAGE] and threshold_for(thresholds, None)


def test_validation_split_is_stable_and_keeps_duplicates_together():
    texts = pd.Series([f"text {i}" for i in range(2000)] + ["same"] * 5)
    first, again = in_validation(texts), in_validation(texts)
    assert (first == again).all() and 0.10 < first[:2000].mean() < 0.20
    assert len(set(first[2000:])) == 1
    assert (in_validation(texts, seed=7) != first).any()


def test_unknown_dataset_and_missing_folder_are_clear(tmp_path):
    with pytest.raises(ValueError, match="unknown dataset"):
        load_dataset("nope")
    with pytest.raises(FileNotFoundError, match="TOXICITY_DATA_ROOT"):
        load_dataset("germeval2018_de", tmp_path)
    assert available(DEFAULT_RECIPE, tmp_path) == []


@pytest.mark.parametrize("name", sorted(PROVENANCE_COUNTS))
def test_real_datasets_read_with_the_documented_counts(name, shared_data):
    if not available([name], shared_data):
        pytest.skip(f"{name} is not in {shared_data}")
    frame = load_dataset(name, shared_data)
    rows, positives = PROVENANCE_COUNTS[name]
    assert len(frame) == rows
    if positives is not None:
        assert int(frame["label"].sum()) == positives
    assert set(frame["label"].unique()) == {0, 1}
    assert (frame["language"] == DATASETS[name].language).all() and (frame["dataset"] == name).all()
    assert frame["text"].str.strip().ne("").all()


def test_the_bundled_model_is_the_default_and_its_rule_is_opt_in():
    """Silver scores with the shipped model unless told otherwise; gold drops on it only when asked, and then with
    the thresholds chosen on its validation split (read from the package, as from a zip)."""
    import json

    from etl.config import (BUNDLED_TOXICITY_MODEL, MODEL_RULE_OFF, MODEL_SCORE_RULE, MODEL_THRESHOLDS_FILE,
                            bundled_toxicity_model, load_config)
    from etl.gold.decisions import extra_rules

    saved = json.loads((bundled_toxicity_model() / MODEL_THRESHOLDS_FILE).read_text(encoding="utf-8"))["thresholds"]
    default = load_config()
    assert default.silver.toxicity_model_path == BUNDLED_TOXICITY_MODEL
    assert {r.key: r for r in extra_rules(default.gold, [])}[MODEL_SCORE_RULE].threshold == MODEL_RULE_OFF
    assert not any(MODEL_SCORE_RULE in v for v in default.gold.language_overrides.values())
    opted = load_config(overrides={"gold.bundled_model_rule": True})
    assert opted.gold.max_model_toxicity == saved["*"] < MODEL_RULE_OFF
    assert {lang: v[MODEL_SCORE_RULE] for lang, v in opted.gold.language_overrides.items()
            if MODEL_SCORE_RULE in v} == {k: v for k, v in saved.items() if k != "*"}


def test_thresholds_saved_with_the_model_become_gold_config_unless_the_user_set_them(tmp_path):
    import json

    from etl.config import (DEFAULT_MODEL_TOXICITY, MODEL_SCORE_RULE, MODEL_THRESHOLDS_FILE, TOXICITY_MODEL_OFF,
                            ConfigError, load_config)
    from etl.gold.decisions import extra_rules

    model = tmp_path / "model"
    model.mkdir()
    (model / MODEL_THRESHOLDS_FILE).write_text(json.dumps({"thresholds": {"*": 0.37, "ar": 0.31, "de": 0.4}}))
    cfg = load_config(overrides={"silver.toxicity_model_path": str(model),
                                 "gold.language_overrides": {"de": {MODEL_SCORE_RULE: 0.9}}})
    assert cfg.gold.max_model_toxicity == 0.37
    assert cfg.gold.language_overrides["ar"][MODEL_SCORE_RULE] == 0.31
    assert cfg.gold.language_overrides["de"][MODEL_SCORE_RULE] == 0.9  # the user's value wins
    rule = {r.key: r for r in extra_rules(cfg.gold, [])}[MODEL_SCORE_RULE]
    assert rule.threshold == 0.37

    as_uri = load_config(overrides={"silver.toxicity_model_path": model.as_uri()})  # file:///... finds it too
    assert as_uri.gold.max_model_toxicity == 0.37
    explicit = load_config(overrides={"silver.toxicity_model_path": str(model), "gold.max_model_toxicity": 0.8})
    assert explicit.gold.max_model_toxicity == 0.8 and "ar" not in explicit.gold.language_overrides
    off = load_config(overrides={"silver.toxicity_model_path": TOXICITY_MODEL_OFF})
    assert off.gold.max_model_toxicity == DEFAULT_MODEL_TOXICITY  # no model: the plain default

    (model / MODEL_THRESHOLDS_FILE).write_text("{}")
    with pytest.raises(ConfigError, match=MODEL_THRESHOLDS_FILE):
        load_config(overrides={"silver.toxicity_model_path": str(model)})


def test_the_dataset_card_names_the_shipped_model_its_sets_and_their_licences():
    from etl.config import BUNDLED_TOXICITY_MODEL, MODEL_RULE_OFF, MODEL_SCORE_RULE, TOXICITY_MODEL_OFF
    from etl.report.card import _toxicity_model
    from etl.models.toxicity_datasets import DATASETS, DEFAULT_RECIPE
    from etl.models.toxicity_training import model_facts

    off_rule = [{"rule": MODEL_SCORE_RULE, "threshold": MODEL_RULE_OFF, "per_language": {}}]
    text = "\n".join(_toxicity_model(model_facts(BUNDLED_TOXICITY_MODEL), off_rule))
    assert all(name in text and DATASETS[name].licence in text for name in DEFAULT_RECIPE)
    assert "does not drop on it" in text
    on_rule = [{"rule": MODEL_SCORE_RULE, "threshold": MODEL_RULE_OFF, "per_language": {"ar": 0.3}}]
    assert "Gold drops on it" in "\n".join(_toxicity_model(model_facts(BUNDLED_TOXICITY_MODEL), on_rule))
    assert "Off for this run" in "\n".join(_toxicity_model(model_facts(TOXICITY_MODEL_OFF), off_rule))
