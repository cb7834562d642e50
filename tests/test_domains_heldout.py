"""The hand-labelled held-out set for topic/format labels and its scorer (evals/domains_heldout_eval.py)."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from evals import domains_heldout_eval as heldout

# The label strings as issue 26 lists them (WebOrganizer's published sets).
ISSUE_TOPICS = {
    "Adult", "Art & Design", "Software Development", "Crime & Law", "Education & Jobs", "Hardware", "Entertainment",
    "Social Life", "Fashion & Beauty", "Finance & Business", "Food & Dining", "Games", "Health", "History",
    "Home & Hobbies", "Industrial", "Literature", "Politics", "Religion", "Science & Technology", "Software",
    "Sports & Fitness", "Transportation", "Travel"}
ISSUE_FORMATS = {
    "Academic Writing", "Content Listing", "Creative Writing", "Customer Support", "Comment Section", "FAQ",
    "Truncated", "Knowledge Article", "Legal Notices", "Listicle", "News Article", "Nonfiction Writing",
    "About Page (Organization)", "News (Organization)", "About Page (Personal)", "Personal Blog", "Product Page",
    "Q&A Forum", "Spam / Ads", "Structured Data", "Documentation", "Audio Transcript", "Tutorial", "User Review"}
REQUIRED = {"id", "source", "locator", "lang", "topic", "format", "note", "text_sha1"}


def _rows() -> list[dict]:
    lines = heldout.LABELS.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_taxonomy_constants_match_the_issue():
    assert set(heldout.TOPICS) == ISSUE_TOPICS and len(heldout.TOPICS) == 24
    assert set(heldout.FORMATS) == ISSUE_FORMATS and len(heldout.FORMATS) == 24
    assert all(fmts <= ISSUE_FORMATS for fmts in heldout.CORE_REGISTER_FORMATS.values())
    assert set(heldout.CORE_REGISTER_FORMATS) == {"NA", "IN", "OP", "ID", "HI", "IP", "SP", "LY"}


def test_jsonl_is_well_formed_and_uses_only_taxonomy_labels():
    rows = _rows()
    assert len(rows) >= 300
    assert len({r["id"] for r in rows}) == len(rows)
    for row in rows:
        assert REQUIRED <= set(row), row.get("id")
        assert row["source"] in heldout.SOURCES
        assert row["topic"] in ISSUE_TOPICS, row["id"]
        assert row["format"] in ISSUE_FORMATS, row["id"]
        assert re.fullmatch(r"[0-9a-f]{40}", row["text_sha1"])
        assert "text" not in row  # texts are reloaded from their sources, not copied
        if row["source"].startswith("core_"):
            assert set(row["core_register"].split()) <= set(heldout.CORE_REGISTER_FORMATS), row["id"]
    assert len({r["lang"] for r in rows}) >= 5


def test_majority_labels_are_the_most_frequent():
    rows = _rows()
    topic, fmt = heldout.majority_labels(rows)
    assert Counter(r["topic"] for r in rows).most_common(1)[0][1] == sum(r["topic"] == topic for r in rows)
    assert Counter(r["format"] for r in rows).most_common(1)[0][1] == sum(r["format"] == fmt for r in rows)


def test_evaluate_skips_without_shared_data(tmp_path):
    out = heldout.evaluate(heldout.majority_predictor(), shared=tmp_path / "absent")
    assert "skipped" in out


@pytest.mark.skipif(not heldout.SHARED.is_dir(), reason="../shared/data not available")
def test_majority_predictor_accuracy_equals_majority_share():
    rows = _rows()
    topic, fmt = heldout.majority_labels(rows)
    out = heldout.evaluate(heldout.majority_predictor())
    assert out["labelled_documents"] == len(rows)
    assert out["topic"]["accuracy"] == pytest.approx(sum(r["topic"] == topic for r in rows) / len(rows), abs=1e-4)
    assert out["format"]["accuracy"] == pytest.approx(sum(r["format"] == fmt for r in rows) / len(rows), abs=1e-4)
    assert out["baseline_most_frequent"]["topic_accuracy"] == out["topic"]["accuracy"]
    assert set(out["core_register_agreement"]["per_language"]) == {"fr", "sv"}
