"""Rule table -> drop_reason in Spark SQL: order, polarity, nulls, per-language thresholds, families."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from chispa import assert_column_equality
from pyspark.sql import functions as F

from etl import catalog
from etl.catalog import TOXICITY_DIMENSIONS, Rule
from etl.config import GoldConfig, load_config
from etl.gold.decisions import active_rules, decide
from etl.gold.rules import DEFAULT_RULES, first_failure
from etl.silver.quality import CHAR_WORDS_SUFFIX, WORD_SIGNALS
from etl.silver.toxicity import score_toxicity_series

HATECHECK = Path(__file__).resolve().parents[1] / "data" / "hatecheck" / "hatecheck_slice.csv"

COLS = ["language", "language_score", "gopher_n_words", "gopher_mean_word_len", "gopher_n_stop_words",
        "tox_tier", "obscenity_hits", "expected"]


# Signals the tests do not vary, at values no rule drops on.
NEUTRAL = {"gopher_hash_word_ratio": 0.0, "gopher_ellipsis_word_ratio": 0.0, "gopher_bullet_line_frac": 0.0,
           "gopher_ellipsis_line_frac": 0.0, "gopher_alpha_word_frac": 1.0}


def with_neutral_signals(df):
    """NEUTRAL signals added, the character-split copy of every word signal equal to the plain one, and silver's
    lexicon scores for a `tox_tier` column (the worst sentence's total at each tier: none 0, mild 4, toxic 7)."""
    for name, value in NEUTRAL.items():
        df = df.withColumn(name, F.lit(value))
    if "tox_tier" in df.columns and "tox_total" not in df.columns:
        total = F.when(F.col("tox_tier") == "toxic", 7).when(F.col("tox_tier") == "mild", 4).when(
            F.col("tox_tier") == "none", 0)
        df = df.withColumn("tox_total", total)
        for dimension in TOXICITY_DIMENSIONS:
            df = df.withColumn(f"tox_{dimension}", F.when(total.isNotNull(), F.lit(0)))
    for name in WORD_SIGNALS:
        if name in df.columns and name + CHAR_WORDS_SUFFIX not in df.columns:
            df = df.withColumn(name + CHAR_WORDS_SUFFIX, F.col(name))
    return df


def frame(spark, rows):
    """Rows of COLS; silver's obscenity_word_ratio is derived as hits / words, as silver computes it."""
    schema = ("language string, language_score double, gopher_n_words int, gopher_mean_word_len double, "
              "gopher_n_stop_words int, tox_tier string, obscenity_hits int, expected string")
    df = spark.createDataFrame(rows, schema)
    df = df.withColumn("obscenity_word_ratio", F.col("obscenity_hits") / F.col("gopher_n_words"))
    return with_neutral_signals(df)


def test_first_failing_rule_names_the_reason(spark):
    cfg = GoldConfig(families=["language", "gopher_quality", "badwords", "toxicity"])
    df = frame(spark, [
        ("en", 0.99, 400, 5.0, 9, "none", 0, None),                                   # kept
        ("en", 0.99, 10, 5.0, 9, "none", 0, "gopher_quality:short_doc"),              # too short
        ("en", 0.30, 10, 5.0, 9, "none", 0, "language:low_score"),                    # language checked first
        (None, None, 400, 5.0, 9, "none", 0, "language:undetected"),                  # no language
        ("en", 0.99, 400, 5.0, 9, "toxic", 0, "toxicity:tier_toxic"),
        ("en", 0.99, 400, 5.0, 9, "none", 30, "badwords:ldnoobw_ratio"),               # 30 in 400 words
        ("en", 0.99, None, None, None, None, None, None),                             # null signals never fire
    ])
    out = decide(df.withColumn("tox_model_score", F.lit(None).cast("double")), cfg, [])
    assert_column_equality(out, "drop_reason", "expected")


def test_badwords_rule_is_on_the_ratio(spark):
    """badwords:ldnoobw_ratio replaced the raw-count rule (obscenity_hits > 2), which dropped a long encyclopedia
    article for 12 ordinary words; the count stays a silver signal but no rule reads it."""
    cfg = GoldConfig(families=["badwords"])
    limit = cfg.max_badword_ratio
    df = frame(spark, [
        ("en", 0.99, 5000, 5.0, 9, "none", 12, None),                       # long article: ratio 0.0024, kept
        ("en", 0.99, 14, 5.0, 9, "none", 2, "badwords:ldnoobw_ratio"),     # short obscene comment: 0.14
        ("en", 0.99, 1000, 5.0, 9, "none", int(limit * 1000), None),       # exactly at the threshold: kept
        ("bg", 0.99, 400, 5.0, 9, "none", None, None),                      # no list for the language: null
    ])
    out = decide(df.withColumn("tox_model_score", F.lit(None).cast("double")), cfg, [])
    assert_column_equality(out, "drop_reason", "expected")
    assert [r.key for r in active_rules(cfg, [])] == ["badwords:ldnoobw_ratio"]
    assert not hasattr(cfg, "max_badword_hits")


def test_language_profile_and_per_language_defaults(spark):
    cfg = GoldConfig(families=["language", "gopher_quality"])
    df = frame(spark, [
        ("ar", 0.99, 400, 5.0, 0, "none", 0, None),        # English stop words do not apply to Arabic
        ("en", 0.99, 400, 5.0, 0, "none", 0, "gopher_quality:few_stop_words"),
        ("zh", 0.99, 400, 1.0, 0, "none", 0, None),        # per-character words: no minimum word length
        ("da", 0.99, 400, 1.0, 0, "none", 0, None),        # no per-language word length (de has FineWeb2's 0)
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


# --- FineWeb2 per-language thresholds (language fairness) ------------------------------------------------------

def test_fineweb2_thresholds_are_default_language_overrides():
    from etl.gold.decisions import DEFAULT_LANGUAGE_OVERRIDES
    from etl.gold.language_thresholds import FINEWEB2_THRESHOLDS, fineweb2_rule_overrides

    known = {rule.key for rule in DEFAULT_RULES}
    assert fineweb2_rule_overrides("en") == {} and "en" not in FINEWEB2_THRESHOLDS  # FineWeb2 has no English config
    for lang, table in FINEWEB2_THRESHOLDS.items():
        assert table.source.startswith("configs/") and len(table.stop_words) >= 2
        assert set(fineweb2_rule_overrides(lang)) <= known
        assert DEFAULT_LANGUAGE_OVERRIDES[lang] == fineweb2_rule_overrides(lang)
        # silver counts English stop words only: the rule stays off ("*" applies) for these languages
        assert "gopher_quality:few_stop_words" not in DEFAULT_LANGUAGE_OVERRIDES[lang]
    # the reference figures for Arabic (FineWeb2 arb_Arab.yml)
    ar = fineweb2_rule_overrides("ar")
    assert (ar["gopher_repetition:dup_line_frac"], ar["fineweb:line_punct_ratio"], ar["fineweb:list_ratio"]) == (
        0.304, 0.143, 0.189)
    assert (ar["gopher_quality:below_avg_word_len"], ar["gopher_quality:above_avg_word_len"]) == (2, 9)


def test_alpha_word_threshold_per_language(spark):
    """0.745 is the alpha-word fraction of a real Russian Wikipedia page in the sample ("Текущая версия страницы
    пока не проверялась..."): commas, dashes, «» and reference marks are tokens. English's 0.8 dropped it; FineWeb2's
    Russian minimum is 0.713. Spanish's FineWeb2 minimum (0.825) is stricter than English's."""
    cfg = GoldConfig(families=["gopher_quality"])
    df = frame(spark, [
        ("ru", 0.99, 400, 5.0, 0, "none", 0, None),
        ("en", 0.99, 400, 5.0, 9, "none", 0, "gopher_quality:below_alpha_threshold"),
        ("es", 0.99, 400, 5.0, 0, "none", 0, "gopher_quality:below_alpha_threshold"),
        ("it", 0.99, 400, 5.0, 0, "none", 0, "gopher_quality:below_alpha_threshold"),  # no FineWeb2 table: 0.8
        (None, 0.0, 400, 5.0, 9, "none", 0, "gopher_quality:below_alpha_threshold"),    # undetected: defaults
    ]).withColumn("gopher_alpha_word_frac", F.lit(0.745))
    out = decide(df.withColumn("tox_model_score", F.lit(None).cast("double")), cfg, [])
    assert_column_equality(out, "drop_reason", "expected")


def test_chinese_c4_sentences_from_real_text_reach_gold(spark):
    """A zh.wikipedia paragraph from the sample: its "。" sentences now count for C4 (character words for zh)."""
    from etl.silver.quality import quality_signals

    text = ("比翁河畔布瓦尼（法語：Boigny-sur-Bionne）是法国卢瓦雷省的一个市镇，位于该省西部，省会奥尔良市区以东，卢瓦尔河右岸，"
            "属于奥尔良区。该市镇总面积7.53平方公里，2009年时的人口为2139人。\n") * 3
    signals = quality_signals(text)
    cfg = GoldConfig(families=["c4"])
    df = spark.createDataFrame(
        [("zh", signals["c4_n_sentences"], signals["c4_n_sentences_charwords"], None),
         ("en", signals["c4_n_sentences"], signals["c4_n_sentences_charwords"], "c4:too_few_sentences")],
        "language string, c4_n_sentences int, c4_n_sentences_charwords int, expected string")
    df = with_neutral_signals(df.select("*", F.lit(0.99).alias("language_score"), F.lit("none").alias("tox_tier"),
                                      F.lit(False).alias("c4_has_lorem_ipsum"), F.lit(False).alias("c4_has_curly_bracket")))
    out = decide(df.withColumn("tox_model_score", F.lit(None).cast("double")), cfg, [])
    assert signals["c4_n_sentences_charwords"] == 6 and signals["c4_n_sentences"] == 0
    assert_column_equality(out, "drop_reason", "expected")


def test_an_old_config_naming_the_count_rule_is_told_what_replaced_it():
    from etl.config import ConfigError, load_config

    with pytest.raises(ConfigError, match="gold.max_badword_ratio"):
        load_config(sets=["gold.max_badword_hits=3"])
    with pytest.raises(ConfigError, match="badwords:ldnoobw_ratio"):
        load_config(overrides={"gold.rule_overrides": {"badwords:ldnoobw_hits": 3}})


# --- decisions made in gold over stored scores, from the catalog's rows ------------------------------------------

TOX_COLUMNS = [f"tox_{d}" for d in TOXICITY_DIMENSIONS] + ["tox_total"]


def test_toxicity_tiers_are_gold_rules_over_stored_scores(spark):
    """Silver's tox_tier label and gold's tier rules (over tox_total and the tox_* dimensions) agree on real text,
    and gold.rule_overrides moves the cut without scoring again."""
    cases = pd.read_csv(HATECHECK)
    texts = [*cases["test_case"], "Kill all Jews, they are subhuman kikes", "I hate women. Nice weather today."]
    langs = [*cases["language"], "en", "en"]
    scores = score_toxicity_series(pd.Series(texts), pd.Series(langs))
    assert set(scores["tox_tier"]) == {"none", "mild", "toxic"}
    rows = [(*(int(v) for v in r[TOX_COLUMNS]), r["tox_tier"]) for _, r in scores.iterrows()]
    df = spark.createDataFrame(rows, ", ".join(f"{c} int" for c in TOX_COLUMNS) + ", tox_tier string")
    df = df.withColumn("tox_model_score", F.lit(None).cast("double"))

    def reasons(**cfg):
        out = decide(df, GoldConfig(families=["toxicity"], **cfg), []).collect()
        return [(r.tox_tier, r.drop_reason) for r in out]

    both = {"none": None, "mild": "toxicity:tier_mild", "toxic": "toxicity:tier_toxic"}
    assert all(reason == both[tier] for tier, reason in reasons(toxicity_drop_tiers=["mild", "toxic"]))
    assert all(reason == (both[tier] if tier == "toxic" else None) for tier, reason in reasons())
    stricter = reasons(rule_overrides={"toxicity:tier_toxic": 4})  # the mild tier's score
    assert all(reason == (None if tier == "none" else "toxicity:tier_toxic") for tier, reason in stricter)


def test_url_ban_is_a_gold_rule_over_stored_word_counts(spark):
    """RefinedWeb's verdict (one hard-banned or two soft-banned words, the allowlist wins) from silver's counts;
    gold.rule_overrides changes it."""
    rows = [(hard, soft, allowed) for hard in (0, 1, 2) for soft in (0, 1, 2, 3) for allowed in (False, True)]
    rows.append((None, None, None))  # no URL: never fires
    df = spark.createDataFrame(rows, "url_hard_banned_hits int, url_soft_banned_hits int, url_allowlisted boolean")
    df = df.withColumn("url_blocklisted_effective", F.lit(False))

    def reasons(**cfg):
        out = decide(df, GoldConfig(families=["url"], **cfg), []).collect()
        return {(r.url_hard_banned_hits, r.url_soft_banned_hits, r.url_allowlisted): r.drop_reason for r in out}

    refinedweb = {(h, s, a): "url:banned_word" if h is not None and not a and (h >= 1 or s >= 2) else None
                  for h, s, a in rows}
    assert reasons() == refinedweb
    any_word = reasons(rule_overrides={"url:banned_word": 1})
    assert any_word[(0, 1, False)] == "url:banned_word" and any_word[(0, 1, True)] is None


def test_a_family_added_as_rows_is_applied_with_no_other_change(spark, monkeypatch):
    """A new family is rows in the catalog: default config runs it, validation knows its rules, the report lists
    it, and gold drops on it; every other rule reads a null signal here, which never fires."""
    from etl.report.rules import rule_table

    new = (Rule("example", "deep_path", "url_path_depth", ">", 5, "more than 5 path segments"),)
    monkeypatch.setattr(catalog, "RULES", catalog.RULES + new)
    cfg = load_config(overrides={"gold.rule_overrides": {"example:deep_path": 6}})
    assert "example" in cfg.gold.families
    assert "example:deep_path" in [r["rule"] for r in rule_table(cfg)]
    signals = [s for s in catalog.SIGNALS if s.name not in ("language", "url_path_depth")]
    df = spark.createDataFrame([("en", 9, "example:deep_path"), ("en", 6, None)],
                               "language string, url_path_depth int, expected string")
    df = df.select("*", *(F.lit(None).cast(s.type).alias(s.name) for s in signals))
    assert_column_equality(decide(df, cfg.gold, []), "drop_reason", "expected")
