"""The bundled per-dimension toxicity model in silver: non-null levels for scored text, the lexicon's tier rule over
them, and a window maximum, so a long clean page of group mentions scores no higher than its worst sentence."""

from __future__ import annotations

from etl.catalog import TOXICITY_DIMENSIONS, TOXICITY_MAX_WEIGHT, TOXICITY_TIERS
from etl.config import BUNDLED_TOXICITY_MODEL, TOXICITY_MODEL_OFF
from etl.models.dimension_model import dimension_column
from etl.silver.scorers import ToxicityModelScorer
from etl.silver.toxicity import TIER_TOXIC, toxicity_tier

LEVELS = [dimension_column(d) for d in TOXICITY_DIMENSIONS]
# Clean sentences that only mention groups of every dimension (none attacks anyone).
MENTIONS = [
    "Many immigrants arrived in the city during the last century.",
    "The women's football team won the national cup this year.",
    "Muslims and Jews in the town organised a shared charity dinner.",
    "The museum added ramps so that disabled people can visit every room.",
    "Black people and Asian people make up a large share of the choir.",
    "Refugees from the war were housed in the old school building.",
    "The library has a new section of books by gay and trans authors.",
    "Indigenous people have lived along this river for thousands of years.",
    "The council met with leaders of the local Muslim community on Tuesday.",
    "Deaf students now have sign language interpreters in every lecture.",
    "Foreign workers can apply for the language course at the town hall.",
    "The synagogue and the mosque share a car park on Sundays.",
    "Women make up half of the engineering students this term.",
    "The festival celebrates the food of immigrants from twelve countries.",
    "A wheelchair user won the city marathon in the new category.",
    "The report counts how many refugees found work within a year.",
    "Jewish families have run the bakery on this street since 1920.",
    "The church and the temple hold a joint concert in May.",
    "Migrants from the south often work on the farms in the summer.",
    "The new law protects people with disabilities from losing their jobs.",
]


def _score(spark, texts, path=BUNDLED_TOXICITY_MODEL):
    frame = spark.createDataFrame([(i, t) for i, t in enumerate(texts)], "doc_id int, text string")
    return ToxicityModelScorer(path).apply(frame).orderBy("doc_id").toPandas()


def test_dimensions_are_levels_with_the_lexicon_tier_rule(spark):
    texts = ["Ich hasse Muslime.", "Las mujeres son estúpidas.", "A calm day at the beach.", "", None]
    scored = _score(spark, texts)
    assert scored[LEVELS].notna().all().all()
    assert scored[LEVELS].isin(range(TOXICITY_MAX_WEIGHT + 1)).all().all()
    for _, row in scored.iterrows():
        assert row["tox_model_tier"] == toxicity_tier({d: row[dimension_column(d)] for d in TOXICITY_DIMENSIONS})
    assert set(scored["tox_model_tier"]) <= set(TOXICITY_TIERS)
    assert scored.loc[2, LEVELS].sum() == 0  # clean text


def test_a_long_clean_page_scores_no_higher_than_its_worst_sentence(spark):
    document = " ".join(MENTIONS)  # one paragraph: every window holds several sentences
    scored = _score(spark, [*MENTIONS, document, "\n".join(MENTIONS)])
    sentences, pages = scored.iloc[: len(MENTIONS)], scored.iloc[len(MENTIONS):]
    for level in LEVELS:
        assert (pages[level] <= sentences[level].max()).all(), level
    assert not (pages["tox_model_tier"] == TIER_TOXIC).any()


def test_off_with_the_classifier(spark):
    scored = _score(spark, ["text"], path=TOXICITY_MODEL_OFF)
    assert scored[["tox_model_score", *LEVELS, "tox_model_tier"]].isna().all().all()


def test_shared_features_score_as_each_model_alone(spark):
    """The classifier and the dimensions featurise each window once together (etl.models.window_scoring): every
    output equals the one the model gives scored alone."""
    from etl.models.dimension_model import apply_dimensions_windowed, load_dimensions_model
    from etl.models.text_classifier import load_model
    from etl.models.window_scoring import apply_model_windowed, same_features

    texts = [*MENTIONS[:4], "Ich hasse Muslime.", "\n".join(MENTIONS), "", None]
    together = _score(spark, texts).set_index("doc_id")
    frame = spark.createDataFrame(list(enumerate(texts)), "doc_id int, text string")
    classifier = load_model(BUNDLED_TOXICITY_MODEL, spark)
    dimensions, thresholds = load_dimensions_model(spark)
    assert same_features(classifier, dimensions)  # else nothing is shared and this test shows nothing
    alone = apply_dimensions_windowed(apply_model_windowed(frame, classifier), dimensions, thresholds)
    alone = alone.toPandas().set_index("doc_id").reindex(together.index)
    assert (together["tox_model_score"] - alone["tox_model_score"]).abs().max() < 1e-12
    assert (together[LEVELS] == alone[LEVELS]).all().all()
