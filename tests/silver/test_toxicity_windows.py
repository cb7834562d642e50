"""Bounded windows: the lexicon tier and the model score do not grow with document length, Spark's windows are
Python's, and clean text that mentions groups keeps its place in gold (issue 21)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from pyspark.sql import functions as F

from bench.bench_silver import ARABIC, SAMPLE, wet_frame
from etl.models.normalize import normalize_series
from etl.models.windows import MODEL_MAX_WINDOWS, WINDOW_MAX_CHARS, text_windows
from etl.silver.toxicity import TIER_NONE, TIER_TOXIC, score_document, sentence_windows

ROOT = Path(__file__).resolve().parents[2]
TRUTH = ARABIC / "GENERATED-arabic-11-truth.json"
CLEAN = "clean"
SHARED_HATECHECK = ROOT.parent / "shared" / "data" / "toxicity_multilingual_hatecheck"


@pytest.fixture(scope="module")
def arabic() -> pd.DataFrame:
    """data/arabic_sample's documents, normalised as silver normalises them, with their planted category."""
    frame = wet_frame(sorted(ARABIC.glob("*.wet.gz")))
    frame["category"] = frame["url"].map(json.loads(TRUTH.read_text(encoding="utf-8"))["categories"])
    frame["text"] = normalize_series(frame["text"]).to_numpy()
    return frame


@pytest.fixture(scope="module")
def real_texts(arabic) -> pd.DataFrame:
    sample = wet_frame([SAMPLE])
    sample["text"] = normalize_series(sample["text"]).to_numpy()
    return pd.concat([sample[["doc_id", "text"]], arabic[["doc_id", "text"]]], ignore_index=True)


def test_windows_are_bounded_and_keep_every_character_but_spaces():
    text = "short line\n\n" + "word " * 700 + "\n" + "字" * 2500
    windows = text_windows(text)
    assert all(0 < len(w) <= WINDOW_MAX_CHARS for w in windows)
    assert "".join(windows).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")
    assert text_windows(None) == text_windows("") == text_windows(" \n \n") == []
    assert sentence_windows("I love them. I hate Mondays!\nNext line") == ["I love them.", "I hate Mondays!",
                                                                           "Next line"]


def test_the_clean_arabic_documents_keep_tier_none_whatever_their_length(arabic):
    """Each sentence of the clean half is tier none on its own (data/arabic_sample/PROVENANCE.md); a document of
    them used to reach `toxic` by adding up mentions (issue 21: 50 of 150 dropped)."""
    clean = arabic[arabic["category"] == CLEAN]
    assert len(clean) == 150
    tiers = [score_document(text, "ar")["tox_tier"] for text in clean["text"]]
    assert tiers == [TIER_NONE] * len(clean)
    # the same sentences as one long page: still none
    page = "\n".join(clean["text"].head(20))
    assert score_document(page, "ar")["tox_tier"] == TIER_NONE


def test_a_toxic_sentence_stays_toxic_inside_a_long_clean_page():
    """The maximum over windows is not diluted by length: one toxic sentence in 200 clean lines is still toxic."""
    toxic = "kill all the jews and the blacks, they are vermin"
    assert score_document(toxic, "en")["tox_tier"] == TIER_TOXIC
    page = "\n".join(["The library opens at nine and closes at five on weekdays."] * 200 + [toxic])
    assert score_document(page, "en")["tox_tier"] == TIER_TOXIC
    assert score_document(page, "en")["tox_total"] == score_document(toxic, "en")["tox_total"]


@pytest.mark.skipif(not SHARED_HATECHECK.is_dir(), reason="needs ../shared/data (Multilingual HateCheck)")
def test_hatecheck_non_hateful_cases_almost_never_reach_the_toxic_tier():
    """Counter-speech, reclaimed slurs and mentions (HateCheck's non-hateful functionalities): the tier gold drops
    on by default fires on at most 1% of them in any language."""
    from etl.models.toxicity_datasets import load_dataset

    cases = load_dataset("hatecheck", SHARED_HATECHECK.parent)
    clean = cases[cases["label"] == 0]
    tiers = [score_document(t, lang)["tox_tier"] for t, lang in zip(clean["text"], clean["language"])]
    share = pd.Series(tiers).eq(TIER_TOXIC).groupby(clean["language"].to_numpy()).mean()
    assert share.max() <= 0.01, share.to_dict()


def test_spark_windows_equal_python_windows_on_real_text(spark, real_texts):
    """The SQL windows (etl.models.windows.window_column) are the reference Python ones, character for
    character, on real Common Crawl pages and the Arabic sample."""
    from etl.models.windows import window_column

    df = spark.createDataFrame(real_texts[["doc_id", "text"]])
    got = {r.doc_id: list(r.w) for r in df.select("doc_id", window_column("text").alias("w")).collect()}
    for doc_id, text in zip(real_texts["doc_id"], real_texts["text"]):
        assert got[doc_id] == (text_windows(text) or [""]), doc_id
    assert max(len(w) for w in got.values()) > MODEL_MAX_WINDOWS  # long pages are there: the cap is exercised


def test_windowed_score_is_the_highest_window_score(spark, real_texts):
    """apply_model_windowed against an oracle: every window scored alone by apply_model, maximum over the first
    MODEL_MAX_WINDOWS."""
    from etl.models.text_classifier import apply_model, load_model
    from etl.models.window_scoring import apply_model_windowed
    from etl.config import BUNDLED_TOXICITY_MODEL

    model = load_model(BUNDLED_TOXICITY_MODEL, spark)
    docs = real_texts.head(40)
    windowed = apply_model_windowed(spark.createDataFrame(docs), model).toPandas().set_index("doc_id")
    rows = [(d, w) for d, t in zip(docs["doc_id"], docs["text"]) for w in (text_windows(t) or [""])[:MODEL_MAX_WINDOWS]]
    each = apply_model(spark.createDataFrame(rows, "doc_id string, text string"), model).toPandas()
    expected = each.groupby("doc_id")["tox_model_score"].max()
    assert (windowed["tox_model_score"].reindex(expected.index) - expected).abs().max() < 1e-12


@pytest.mark.slow
def test_the_arabic_preset_keeps_every_clean_document_even_with_the_model_rule_on(spark, tmp_path, arabic):
    """`--preset arabic` on data/arabic_sample, with gold dropping on the shipped model too: no clean document is set
    aside for toxicity (issue 21 found 50 of 150 dropped on `toxicity:tier_toxic`)."""
    from etl import tables
    from etl.config import load_config
    from etl.table_specs import GOLD_REJECTIONS, SILVER_DOCUMENTS
    from etl.pipeline import refresh
    from etl.presets import config_paths

    lake = str(tmp_path / "lake")
    cfg = load_config(config_paths("arabic"), overrides={"lake": lake, "gold.bundled_model_rule": True,
                                                          "spark.shuffle_partitions": 2})
    refresh(spark, cfg, [str(p) for p in sorted(ARABIC.glob("*.wet.gz"))], progress=lambda _msg: None)
    reasons = {r.doc_id: r.reason for r in tables.read(spark, lake, GOLD_REJECTIONS).collect()}
    clean_urls = set(arabic.loc[arabic["category"] == CLEAN, "url"])
    silver = tables.read(spark, lake, SILVER_DOCUMENTS).where(F.col("url").isin(*clean_urls))
    scores = {r.doc_id: r.tox_model_score for r in silver.select("doc_id", "tox_model_score").collect()}
    assert len(scores) == len(clean_urls) == 150 and None not in scores.values()
    assert {d: reasons[d] for d in scores if reasons.get(d, "").startswith("toxicity:")} == {}
    assert any(r.startswith("url:") for r in reasons.values())  # gold did run its rules on this lake
