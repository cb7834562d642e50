"""Topic and format labels: the bundled model loads from the package, clear pages get their labels, and the silver
scorer adds exactly its four typed columns (null for a null or empty text)."""

from __future__ import annotations

import numpy as np
import pytest

from etl.models.domain_model import load_domain_model
from etl.models.domain_predict import predict_labels
from etl.models.domain_seeds import SEED_LANGUAGES, load_seeds, seed_format, seed_topic
from etl.catalog import DOMAIN_FORMATS, DOMAIN_TOPICS
from etl.catalog import DOMAIN_SIGNALS
from etl.silver.scorers import DomainScorer

EN_RECIPE = """Easy banana bread recipe
Prep time: 15 minutes. Cook time: 60 minutes. Serves 8.
Ingredients
- 3 ripe bananas, mashed
- 1/3 cup melted butter
- 3/4 cup sugar
- 1 egg, beaten
- 1 teaspoon baking soda
- 1 1/2 cups all-purpose flour
Instructions
1. Preheat the oven to 350°F (175°C) and butter a loaf pan.
2. Mix the butter into the mashed bananas, then stir in the sugar and the egg.
3. Sprinkle the baking soda over the mixture and mix in the flour.
4. Pour the batter into the pan and bake for about an hour, until a tester comes out clean.
This delicious bread is perfect for breakfast or as a snack."""
FR_RECIPE = """Recette de la quiche lorraine traditionnelle
Temps de préparation : 20 minutes. Cuisson : 40 minutes. Pour 6 personnes.
Ingrédients
- 1 pâte brisée
- 200 g de lardons
- 3 œufs
- 20 cl de crème fraîche
- 50 g de beurre
Préparation
Préchauffez le four à 180 °C. Faites revenir les lardons dans une poêle.
Battez les œufs avec la crème fraîche, salez et poivrez.
Étalez la pâte dans un moule beurré, répartissez les lardons et versez l'appareil.
Enfournez pour 40 minutes de cuisson. Servez chaud : un plat délicieux pour le dîner."""
FAQ_PAGE = """Frequently Asked Questions
How do I create an account?
Click the Sign up button at the top of any page and fill in your name, e-mail address and a password.
Can I change my password?
Yes. Open Settings, choose Security and follow the steps to set a new password.
How long does delivery take?
Orders usually arrive within three to five working days.
What is your returns policy?
You can return any item within 30 days of delivery for a full refund.
Do you ship internationally?
We currently ship to most countries in Europe and North America."""


@pytest.fixture(scope="module")
def model():
    return load_domain_model()


def test_bundled_model_loads_from_the_package_with_the_taxonomy(model):
    assert model.meta["topics"] == list(DOMAIN_TOPICS) and model.meta["formats"] == list(DOMAIN_FORMATS)
    assert len(DOMAIN_TOPICS) == len(DOMAIN_FORMATS) == 24
    assert model.weights["topic"].shape[1] == 24 and model.weights["format"].shape[1] == 24


def test_every_seed_language_covers_every_label():
    for lang in SEED_LANGUAGES:
        seeds = load_seeds(lang)
        assert set(seeds["topics"]) == set(DOMAIN_TOPICS) and set(seeds["formats"]) == set(DOMAIN_FORMATS)
        assert all(seeds["topics"][t] for t in DOMAIN_TOPICS), lang


def test_seeds_label_clear_pages_and_leave_the_rest():
    assert seed_topic(EN_RECIPE, "en") == "Food & Dining"
    assert seed_topic(FR_RECIPE, "fr") == "Food & Dining"
    assert seed_topic("A short line.", "en") is None
    assert seed_topic(EN_RECIPE, "xx") is None  # no seeds for the language: no confident label
    assert seed_format("some transcript", "sv", ("SP",)) == "Audio Transcript"  # CORE's spoken register


def test_recipes_are_food_and_a_faq_is_a_faq(model):
    out = predict_labels(model, [EN_RECIPE, FR_RECIPE, FAQ_PAGE], ["en", "fr", "en"])
    assert out["topic"][:2] == ["Food & Dining", "Food & Dining"]
    assert out["format"][2] == "FAQ"
    assert all(0.0 < s <= 1.0 for s in out["topic_score"] + out["format_score"])


def test_scorer_adds_typed_columns_null_for_empty_text(spark):
    rows = [("en", EN_RECIPE, "en"), ("fr", FR_RECIPE, "fr"), ("faq", FAQ_PAGE, "en"), ("none", None, None),
            ("empty", "", "en")]
    df = spark.createDataFrame(rows, "doc_id string, text string, language string").repartition(2)
    scored = DomainScorer().apply(df)
    assert scored.columns == ["doc_id", "text", "language"] + [s.name for s in DOMAIN_SIGNALS]
    assert dict(scored.dtypes)["topic_score"] == "double" and dict(scored.dtypes)["format"] == "string"
    got = {r.doc_id: r for r in scored.collect()}
    assert got["en"].topic == got["fr"].topic == "Food & Dining"
    assert got["faq"].format == "FAQ"
    for key in ("none", "empty"):
        assert (got[key].topic, got[key].topic_score, got[key].format, got[key].format_score) == (None,) * 4


def test_training_saves_a_model_that_loads_and_labels(tmp_path):
    from etl.models.domain_training import Document, train_domain_model
    from etl.models.embedding import first_window_embeddings

    docs = [Document(EN_RECIPE, "en"), Document(FR_RECIPE, "fr"), Document(FAQ_PAGE, "en")]
    trained, report = train_domain_model(docs, rounds=1, per_label=1, log=lambda line: None,
                                         embed_texts=first_window_embeddings)
    assert report.seed_labelled["topic"] == 2 and report.documents == 3
    assert set(trained.embedding_heads) == {"topic"} and trained.meta["embedding_l2"]["topic"] > 0
    trained.save(str(tmp_path))
    again = load_domain_model(str(tmp_path))
    for head, (w, b) in trained.embedding_heads.items():
        assert np.allclose(again.embedding_heads[head][0], w) and np.allclose(again.embedding_heads[head][1], b)
    assert predict_labels(again, [EN_RECIPE], ["en"])["topic"] == ["Food & Dining"]


def test_the_embedding_head_multiplies_the_ngram_probabilities(model):
    from etl.models.domain_model import DomainModel
    from etl.models.domain_predict import embedding_probabilities, label_probabilities

    assert "topic" in model.embedding_heads  # the bundled model ships one
    texts, languages = [EN_RECIPE, FAQ_PAGE, None, "https://only.a.link/"], ["en", "en", None, "en"]
    ngram_only = DomainModel(model.weights, model.biases, model.meta)
    alone, head = label_probabilities(ngram_only, texts, languages), embedding_probabilities(model, texts)
    both = label_probabilities(model, texts, languages)
    for i in (0, 1):  # the oracle: the product of the two, renormalised
        product = alone["topic"][i] * head["topic"][i]
        assert np.allclose(both["topic"][i], product / product.sum(), atol=1e-6)
        assert np.allclose(both["format"][i], alone["format"][i])  # formats have no embedding head
    assert both["topic"][2] is None and head["topic"][2] is None
    # a text whose first window is blank once links are removed has no embedding: the n-gram model alone
    assert head["topic"][3] is None and np.allclose(both["topic"][3], alone["topic"][3])


def test_fit_softmax_reaches_the_optimum():
    from etl.models.domain_predict import softmax
    from etl.models.domain_training import fit_softmax

    rng = np.random.default_rng(7)
    centres = rng.normal(size=(3, 8))
    labels = rng.integers(0, 3, 300)
    x = centres[labels] + rng.normal(scale=1.5, size=(300, 8))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    weights, l2 = rng.uniform(0.5, 2.0, 300), 1e-2
    w, b = fit_softmax(x, labels, weights, 3, l2, iterations=3000)
    sw = weights / weights.sum()
    residual = (softmax(x @ w + b) - np.eye(3)[labels]) * sw[:, None]
    assert np.abs(x.T @ residual + l2 * w).max() < 1e-5 and np.abs(residual.sum(axis=0)).max() < 1e-5


@pytest.mark.parametrize("held_out", ["web_registers_core_fr_sv/FrCORE/test.tsv", "topic_sib200/eng_Latn/test.tsv"])
def test_train_job_refuses_evaluation_data(held_out, tmp_path, capsys):
    from etl.cli.train_domains import train_domains_main

    code = train_domains_main(["--input", str(tmp_path / held_out), "--model-out", str(tmp_path / "m")])
    assert code == 2 and "held out for evaluation" in capsys.readouterr().err
