"""The embedding toxicity model (tox_embed_score): what the encoder sees, the bundled model, the silver scorer
against the same model applied in plain Python, and its ranking of real labelled text it never trained on."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from etl.config import BUNDLED_TOXICITY_MODEL, TOXICITY_MODEL_OFF
from etl.models.thresholds import roc_auc
from etl.models.embedding import EMBEDDING_DIM, clean, load_encoder
from etl.models.toxicity_embedding import fit_logistic, load_model, score_texts
from etl.models.windows import WINDOW_MAX_CHARS
from etl.silver.scorers import EmbeddingToxicityScorer

# HateCheck never trains the embedding model (not in the default recipe): 20 hateful and 20 non-hateful cases in
# each of 10 languages, non-hateful including counter-speech and mentions of groups.
MIN_HATECHECK_AUC = 0.70  # measured 0.774 (per language 0.61 hi to 0.98 zh); the n-gram classifier 0.45-0.65


@pytest.fixture(scope="module")
def encoder():
    return load_encoder()


def test_the_encoder_sees_the_first_window_with_links_and_mentions_masked():
    text = "@someone look at https://t.co/abc now\n" + "word " * 100 + "\n" + "later " * 300
    seen = clean(text)
    assert seen.startswith("@ look at now word") and "t.co" not in seen and "someone" not in seen
    assert "later" not in seen and len(seen) <= WINDOW_MAX_CHARS  # the third line starts the second window
    assert clean(None) == "" and clean("   \n ") == ""


def test_the_bundled_model_loads_with_its_thresholds_and_training_sets():
    model = load_model()
    assert model.weights.shape == (EMBEDDING_DIM,) and np.isfinite(model.weights).all()
    assert "*" in model.meta["thresholds"] and len(model.meta["datasets"]) >= 8
    assert 0.0 < model.meta["thresholds"]["*"] < 1.0


def test_scorer_equals_the_model_in_python_and_nulls_empty_text(spark, encoder):
    texts = ["You are a wonderful neighbour, thank you!", None, "", "Ich hasse euch alle, verschwindet!",
             "我们明天去公园散步吧。", "x " * 900]
    frame = spark.createDataFrame(list(enumerate(texts)), "doc_id int, text string")
    got = EmbeddingToxicityScorer(BUNDLED_TOXICITY_MODEL).apply(frame).orderBy("doc_id").toPandas()
    expected = score_texts(load_model(), texts, encoder)
    assert expected[1] is None and expected[2] is None
    for g, e in zip(got["tox_embed_score"], expected):
        assert (e is None and np.isnan(g)) or abs(g - e) < 1e-6


def test_turned_off_is_a_null_column(spark):
    frame = spark.createDataFrame([(1, "text")], "doc_id int, text string")
    got = EmbeddingToxicityScorer(TOXICITY_MODEL_OFF).apply(frame).collect()
    assert got[0]["tox_embed_score"] is None


def test_ranks_hatecheck_it_never_trained_on(data_dir, encoder):
    with open(data_dir / "hatecheck" / "hatecheck_slice.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    scores = score_texts(load_model(), [r["test_case"] for r in rows], encoder)
    gold = [r["label_gold"] == "hateful" for r in rows]
    assert len(set(r["language"] for r in rows)) == 10 and sum(gold) == len(rows) // 2
    assert roc_auc(gold, scores) >= MIN_HATECHECK_AUC


def test_fit_logistic_matches_a_weighted_newton_oracle():
    """Separable-ish data: the fit reaches the optimum (zero gradient), and weights tilt it as they should."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(400, 5))
    y = (x @ np.array([1.5, -2.0, 0.0, 0.5, 0.0]) + rng.normal(size=400) > 0).astype(float)
    w = np.where(y == 1, 3.0, 1.0)
    coef, bias = fit_logistic(x, y, w, l2=1e-3)
    p = 1 / (1 + np.exp(-(x @ coef + bias)))
    wn = w / w.sum()
    assert np.abs(x.T @ (wn * (p - y)) + 1e-3 * coef).max() < 1e-8 and abs(np.sum(wn * (p - y))) < 1e-8
    unweighted, _ = fit_logistic(x, y, np.ones(400), l2=1e-3)
    assert coef[0] > 0 > coef[1] and unweighted[0] > 0 > unweighted[1]


def test_a_batch_is_embedded_once_for_every_head(encoder):
    from etl.models.embedding import first_window_embeddings

    class Counting:
        calls = 0

        def encode(self, texts):
            Counting.calls += 1
            return encoder.encode(texts)

    texts = ["Bonjour tout le monde", None, "A second text"]
    first = first_window_embeddings(texts, Counting())
    again = first_window_embeddings(list(texts), Counting())
    other = first_window_embeddings(texts[:1], Counting())
    assert Counting.calls == 2 and again is first and first[1] == [0, 2]
    assert np.allclose(other[0][0], first[0][0], atol=1e-6)
