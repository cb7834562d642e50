"""Rule table -> drop_reason in Spark SQL: order, polarity, nulls, per-language thresholds, families."""

from __future__ import annotations

import pytest
from chispa import assert_column_equality
from pyspark.sql import functions as F

from etl.config import GoldConfig
from etl.gold.decisions import active_rules, decide
from etl.gold.rules import DEFAULT_RULES, first_failure
from etl.silver.quality import CHAR_WORDS_SUFFIX, WORD_SIGNALS

COLS = ["language", "language_score", "gopher_n_words", "gopher_mean_word_len", "gopher_n_stop_words",
        "tox_tier", "obscenity_hits", "expected"]


# Signals the tests do not vary, at values no rule drops on.
NEUTRAL = {"gopher_hash_word_ratio": 0.0, "gopher_ellipsis_word_ratio": 0.0, "gopher_bullet_line_frac": 0.0,
           "gopher_ellipsis_line_frac": 0.0, "gopher_alpha_word_frac": 1.0}


def with_neutral_signals(df):
    """NEUTRAL signals added, and the character-split copy of every word signal equal to the plain one."""
    for name, value in NEUTRAL.items():
        df = df.withColumn(name, F.lit(value))
    for name in WORD_SIGNALS:
        if name in df.columns and name + CHAR_WORDS_SUFFIX not in df.columns:
            df = df.withColumn(name + CHAR_WORDS_SUFFIX, F.col(name))
    return df


def frame(spark, rows):
    schema = ("language string, language_score double, gopher_n_words int, gopher_mean_word_len double, "
              "gopher_n_stop_words int, tox_tier string, obscenity_hits int, expected string")
    return with_neutral_signals(spark.createDataFrame(rows, schema))


def test_first_failing_rule_names_the_reason(spark):
    cfg = GoldConfig(families=["language", "gopher_quality", "badwords", "toxicity"])
    df = frame(spark, [
        ("en", 0.99, 400, 5.0, 9, "none", 0, None),                                   # kept
        ("en", 0.99, 10, 5.0, 9, "none", 0, "gopher_quality:short_doc"),              # too short
        ("en", 0.30, 10, 5.0, 9, "none", 0, "language:low_score"),                    # language checked first
        (None, None, 400, 5.0, 9, "none", 0, "language:undetected"),                  # no language
        ("en", 0.99, 400, 5.0, 9, "toxic", 0, "toxicity:tier_toxic"),
        ("en", 0.99, 400, 5.0, 9, "none", 3, "badwords:ldnoobw_hits"),
        ("en", 0.99, None, None, None, None, None, None),                             # null signals never fire
    ])
    out = decide(df.withColumn("tox_model_score", F.lit(None).cast("double")), cfg, [])
    assert_column_equality(out, "drop_reason", "expected")


def test_language_profile_and_per_language_defaults(spark):
    cfg = GoldConfig(families=["language", "gopher_quality"])
    df = frame(spark, [
        ("ar", 0.99, 400, 5.0, 0, "none", 0, None),        # English stop words do not apply to Arabic
        ("en", 0.99, 400, 5.0, 0, "none", 0, "gopher_quality:few_stop_words"),
        ("zh", 0.99, 400, 1.0, 0, "none", 0, None),        # per-character words: no minimum word length
        ("de", 0.99, 400, 1.0, 0, "none", 0, None),        # not in the profile below? see next test
    ])
    out = decide(df.withColumn("tox_model_score", F.lit(None).cast("double")), cfg, [])
    assert [r.drop_reason for r in out.orderBy("language").collect()] == [
        None, "gopher_quality:below_avg_word_len", "gopher_quality:few_stop_words", None]
    only_ar = decide(df.withColumn("tox_model_score", F.lit(None).cast("double")), cfg, ["ar"])
    reasons = {r.language: r.drop_reason for r in only_ar.collect()}
    assert reasons["ar"] is None and reasons["en"] == "language:not_wanted"


def test_user_overrides_global_and_per_language(spark):
    cfg = GoldConfig(families=["gopher_quality"], rule_overrides={"gopher_quality:short_doc": 100},
                     language_overrides={"ar": {"gopher_quality:short_doc": 20}})
    df = frame(spark, [
        ("en", 0.99, 60, 5.0, 9, "none", 0, "gopher_quality:short_doc"),
        ("ar", 0.99, 60, 5.0, 9, "none", 0, None),
    ])
    out = decide(df.withColumn("tox_model_score", F.lit(None).cast("double")), cfg, [])
    assert_column_equality(out, "drop_reason", "expected")


def test_spark_rules_agree_with_python_rules(spark):
    """The same rule table evaluated in Python (used by the datatrove parity eval) and in Spark."""
    quality = [r for r in DEFAULT_RULES if r.family == "gopher_quality"]
    cfg = GoldConfig(families=["gopher_quality"])
    rows = [(n, wl, sw) for n in (10, 60, 200_000) for wl in (2.0, 5.0, 12.0) for sw in (0, 3)]
    df = spark.createDataFrame(
        [("en", 0.99, n, wl, sw, "none", 0, None) for n, wl, sw in rows],
        "language string, language_score double, gopher_n_words int, gopher_mean_word_len double, "
        "gopher_n_stop_words int, tox_tier string, obscenity_hits int, expected string")
    df = with_neutral_signals(df)
    out = decide(df.withColumn("tox_model_score", F.lit(None).cast("double")), cfg, []).collect()
    for row in out:
        signals = row.asDict()
        assert row.drop_reason == first_failure(signals, quality)


def test_char_word_languages_read_the_character_split_signals(spark):
    """A Chinese page is one English "word" per sentence but hundreds of character words: the language decides."""
    df = spark.createDataFrame(
        [("zh", 3, 400, None), ("en", 3, 400, "gopher_quality:short_doc"), ("ja", 3, 400, None),
         ("th", 3, 400, None), (None, 3, 400, "gopher_quality:short_doc")],
        "language string, gopher_n_words int, gopher_n_words_charwords int, expected string")
    df = with_neutral_signals(df.select(
        "*", F.lit(0.99).alias("language_score"), F.lit(2.0).alias("gopher_mean_word_len"),
        F.lit(9).alias("gopher_n_stop_words"), F.lit("none").alias("tox_tier"), F.lit(0).alias("obscenity_hits"),
        F.lit(None).cast("double").alias("tox_model_score")))
    out = decide(df, GoldConfig(families=["gopher_quality"]), [])
    # zh/ja/th also drop the minimum word length (per-language default), so only short_doc can fire
    assert_column_equality(out, "drop_reason", "expected")
    # with the list emptied, every language reads the English-split signal
    plain = decide(df, GoldConfig(families=["gopher_quality"], char_word_languages=[]), [])
    assert {r.drop_reason for r in plain.collect()} == {"gopher_quality:short_doc"}


def test_families_can_be_switched_off():
    keys = {r.key for r in active_rules(GoldConfig(families=["c4"]), [])}
    assert keys and all(k.startswith("c4:") for k in keys)


def test_unknown_override_is_a_config_error():
    from etl.config import ConfigError, load_config

    with pytest.raises(ConfigError, match="unknown rule 'gopher_quality:nope'"):
        load_config(overrides={"gold.rule_overrides": {"gopher_quality:nope": 1}})
