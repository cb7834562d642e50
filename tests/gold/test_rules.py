"""Tests for the rule table: polarity, order, overrides and parity of reasons with datatrove."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from etl.gold import rules as rules_module
from etl.gold.rules import DEFAULT_RULES, FAMILIES, Rule, family_rules, first_failure, with_overrides
from etl.silver.quality import QUALITY_SIGNALS, quality_signals

DATA = Path(__file__).resolve().parents[1] / "data"

GOOD_SIGNALS = {
    "n_chars": 5000, "gopher_n_words": 800, "gopher_mean_word_len": 4.8, "gopher_hash_word_ratio": 0.0,
    "gopher_ellipsis_word_ratio": 0.0, "gopher_bullet_line_frac": 0.1, "gopher_ellipsis_line_frac": 0.0,
    "gopher_alpha_word_frac": 0.9, "gopher_n_stop_words": 6, "c4_n_sentences": 30, "c4_has_lorem_ipsum": False,
    "c4_has_curly_bracket": False, "fineweb_n_lines": 20, "fineweb_line_punct_frac": 0.8,
    "fineweb_short_line_frac": 0.1, "fineweb_dup_line_char_frac": 0.0, "fineweb_newline_word_ratio": 0.02,
}


def test_every_rule_reads_a_declared_signal_and_families_are_ordered():
    assert {rule.signal for rule in DEFAULT_RULES} <= set(QUALITY_SIGNALS)
    assert [r.family for r in DEFAULT_RULES] == sorted(
        (r.family for r in DEFAULT_RULES), key=FAMILIES.index)
    assert len({rule.key for rule in DEFAULT_RULES}) == len(DEFAULT_RULES)


def test_good_document_passes_every_rule():
    assert first_failure(GOOD_SIGNALS, DEFAULT_RULES) is None


def test_polarity_true_condition_drops():
    rule = Rule("x", "too_short", "n", "<", 5)
    assert rule.fires({"n": 4}) and not rule.fires({"n": 5})
    assert not rule.fires({}) and not rule.fires({"n": None})  # missing signal never drops


def test_first_failure_reports_the_first_rule_in_table_order():
    signals = dict(GOOD_SIGNALS, gopher_mean_word_len=2.0, gopher_n_stop_words=0)
    assert first_failure(signals, DEFAULT_RULES) == "gopher_quality:below_avg_word_len"
    assert first_failure(dict(GOOD_SIGNALS, c4_has_curly_bracket=True), DEFAULT_RULES) == "c4:curly_bracket"


@pytest.mark.parametrize("text", [None, ""])
def test_none_and_empty_documents_fail_each_family_on_its_emptiness_rule(text):
    signals = quality_signals(text)
    firsts = {f: first_failure(signals, family_rules(DEFAULT_RULES, f)) for f in FAMILIES}
    assert firsts == {"gopher_quality": "gopher_quality:short_doc", "gopher_repetition": "gopher_repetition:empty",
                      "c4": "c4:too_few_sentences", "fineweb": "fineweb:empty"}


def test_with_overrides_changes_only_named_thresholds():
    new = with_overrides(DEFAULT_RULES, {"gopher_quality:short_doc": 10, "fineweb:list_ratio": 0.5})
    changed = {r.key: r.threshold for r in new if r not in DEFAULT_RULES}
    assert changed == {"gopher_quality:short_doc": 10, "fineweb:list_ratio": 0.5}
    assert [r.key for r in new] == [r.key for r in DEFAULT_RULES]
    assert first_failure(dict(GOOD_SIGNALS, gopher_n_words=20), new) is None


def test_with_overrides_rejects_unknown_rules_and_bad_ops():
    with pytest.raises(ValueError, match="nope:rule"):
        with_overrides(DEFAULT_RULES, {"nope:rule": 1})
    with pytest.raises(ValueError, match="operator"):
        Rule("x", "y", "z", "=>", 1)


def test_module_does_not_import_pyspark():
    assert "pyspark" not in Path(rules_module.__file__).read_text(encoding="utf-8").replace("No pyspark", "")


# --- datatrove oracle: same first reason, not only the same keep/drop -----------------------------------------

_DATATROVE_REASON = {  # datatrove's reason string -> our rule name, where they differ
    "gopher_below_avg_threshold": "below_avg_word_len", "gopher_above_avg_threshold": "above_avg_word_len",
    "gopher_enough_stop_words": "few_stop_words", "gopher_below_alpha_threshold": "below_alpha_threshold",
}


def _datatrove_reason(result) -> str | None:
    if result is True:
        return None
    reason = result[1] if isinstance(result, tuple) else "dropped"
    reason = _DATATROVE_REASON.get(reason, reason)
    return reason.removeprefix("gopher_")


@pytest.mark.parametrize("family", FAMILIES)
def test_first_reason_matches_datatrove_on_real_documents(family):
    pytest.importorskip("datatrove")
    pytest.importorskip("spacy")
    from datatrove.data import Document

    from evals.quality_parity import datatrove_filters

    flt = datatrove_filters()[family]
    with open(DATA / "oscar_2021/oscar_22.01_sample_63docs.jsonl", encoding="utf-8") as handle:
        texts = [t for t in (json.loads(line)["content"] for line in handle) if len(t) <= 20_000]
    rules = family_rules(DEFAULT_RULES, family)
    for index, text in enumerate(texts):
        theirs = _datatrove_reason(flt.filter(Document(text=text, id=str(index))))
        ours = first_failure(quality_signals(text), rules)
        assert (ours.split(":")[1] if ours else None) == theirs, (index, ours, theirs)
