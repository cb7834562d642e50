"""Rules over silver signals -> one `drop_reason` per document ("family:rule"), as native Spark SQL.

Every rule comes from etl.catalog (the quality families in datatrove's order and defaults); the language and
toxicity-tier rules read boolean columns derived here, and a rule whose threshold is a config value takes it from
GoldConfig. Per-language overrides become CASE WHEN thresholds, and word-based rules
read the character-split signals for GoldConfig.char_word_languages, so one pass decides every language. Families
run cheap and decisive first: language, url, then quality, then toxicity.
"""

from __future__ import annotations

import dataclasses
from typing import Iterable, Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from etl.catalog import (
    BADWORDS_RULES, CHAR_WORDS_SUFFIX, DEFAULT_RULES, FAMILY_ORDER, LANGUAGE_RULES, PII_RULES, QUALITY_MODEL_RULES,
    TOXICITY_RULES, URL_RULES,
    WORD_SIGNALS, Rule,
)
from etl.config import DEFAULT_MODEL_TOXICITY, MODEL_SCORE_RULE, PII_DROP, GoldConfig
from etl.gold.language_thresholds import FINEWEB2_THRESHOLDS, fineweb2_rule_overrides
from etl.gold.rules import with_overrides

ANY_OTHER_LANGUAGE = "*"
# Defaults a multilingual run needs (user overrides merge on top, key by key). Gopher's stop words are English, so
# the stop-word rule is off for other languages; in GoldConfig.char_word_languages words are single characters
# (silver's *_charwords signals), so the minimum mean word length does not apply to them. Languages with a FineWeb2
# config (etl.gold.language_thresholds: ar, de, es, fr, ru, zh) get its word-length, alpha-word, repetition and
# line thresholds, the ones datatrove's English defaults are too strict or too loose for (docs/language_thresholds.md).
DEFAULT_LANGUAGE_OVERRIDES: dict[str, dict[str, float]] = {
    ANY_OTHER_LANGUAGE: {"gopher_quality:few_stop_words": 0},
    "en": {"gopher_quality:few_stop_words": 2},
    "ja": {"gopher_quality:below_avg_word_len": 0},
    "th": {"gopher_quality:below_avg_word_len": 0},
    **{lang: fineweb2_rule_overrides(lang) for lang in sorted(FINEWEB2_THRESHOLDS)},
}
_OPS = {
    "<": lambda c, t: c < t, "<=": lambda c, t: c <= t, ">": lambda c, t: c > t, ">=": lambda c, t: c >= t,
    "==": lambda c, t: c == t, "!=": lambda c, t: c != t,
}


def _configured(rule: Rule, cfg: GoldConfig) -> Rule:
    """The rule with its threshold from GoldConfig when the catalog says a config value sets it."""
    if rule.config_key is None:
        return rule
    value = getattr(cfg, rule.config_key.split(".", 1)[1])
    if value is None and rule.key == MODEL_SCORE_RULE:
        value = DEFAULT_MODEL_TOXICITY
    return dataclasses.replace(rule, threshold=value)


def extra_rules(cfg: GoldConfig, languages: list[str]) -> tuple[Rule, ...]:
    """The catalog's rules outside datatrove's families that this config enables, with config thresholds."""
    wanted_tiers = {f"tier_{tier}" for tier in cfg.toxicity_drop_tiers}
    rules = [r for r in LANGUAGE_RULES if languages or r.name != "not_wanted"]
    rules += URL_RULES + BADWORDS_RULES
    rules += [r for r in TOXICITY_RULES if r.name in wanted_tiers or not r.name.startswith("tier_")]
    rules += QUALITY_MODEL_RULES
    rules += PII_RULES if cfg.pii == PII_DROP else ()
    return tuple(_configured(rule, cfg) for rule in rules)


def active_rules(cfg: GoldConfig, languages: list[str]) -> list[Rule]:
    """Enabled rules in evaluation order (catalog families in FAMILY_ORDER, then gold.extra_rules), with
    gold.rule_overrides applied (an override of a rule whose family is off has nothing to change)."""
    everything = list(extra_rules(cfg, languages)) + list(DEFAULT_RULES)
    ordered = [r for fam in FAMILY_ORDER if fam in cfg.families for r in everything if r.family == fam]
    ordered += cfg.custom_rules()
    active = {r.key for r in ordered}
    return list(with_overrides(ordered, {k: v for k, v in cfg.rule_overrides.items() if k in active}))


def with_derived_signals(df: DataFrame, cfg: GoldConfig, languages: list[str]) -> DataFrame:
    """Boolean helper columns the active rules read (catalog DERIVED_SIGNALS; dropped again after deciding)."""
    needed = {rule.signal for rule in active_rules(cfg, languages)}
    derived = {"_language_missing": lambda: F.col("language").isNull(),
               "_language_unwanted": lambda: F.col("language").isNull() | ~F.col("language").isin(*languages)}
    derived.update({f"_tox_tier_{tier}": (lambda tier=tier: F.col("tox_tier") == F.lit(tier))
                    for tier in cfg.toxicity_drop_tiers})
    out = df
    for name, expr in derived.items():
        if name in needed:
            out = out.withColumn(name, expr())
    return out


def effective_language_overrides(user: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """DEFAULT_LANGUAGE_OVERRIDES with the user's per-language thresholds merged on top."""
    merged = {lang: dict(rules) for lang, rules in DEFAULT_LANGUAGE_OVERRIDES.items()}
    for lang, rules in user.items():
        merged.setdefault(lang, {}).update(rules)
    return merged


def threshold_for(rule: Rule, language: str | None, language_overrides: dict[str, dict[str, float]]):
    """The threshold gold applies to documents of ``language``: its own override, else "*" (any detected
    language), else the rule's global one. `_threshold` is the same precedence as a column expression."""
    if language is not None:
        for key in (language, ANY_OTHER_LANGUAGE):
            if rule.key in language_overrides.get(key, {}):
                return language_overrides[key][rule.key]
    return rule.threshold


def _threshold(rule: Rule, language_overrides: dict[str, dict[str, float]]) -> Column:
    """The rule's threshold, per language where overridden; "*" covers every detected language not listed."""
    expr = F.lit(rule.threshold)
    other = language_overrides.get(ANY_OTHER_LANGUAGE, {})
    if rule.key in other:
        expr = F.when(F.col("language").isNotNull(), F.lit(other[rule.key])).otherwise(expr)
    for lang, overrides in sorted(language_overrides.items()):
        if lang != ANY_OTHER_LANGUAGE and rule.key in overrides:
            expr = F.when(F.col("language") == F.lit(lang), F.lit(overrides[rule.key])).otherwise(expr)
    return expr


def _signal(rule: Rule, char_word_languages: Sequence[str]) -> Column:
    """The rule's signal column; word-based signals come from the character-split copy for the listed languages."""
    if rule.signal not in WORD_SIGNALS or not char_word_languages:
        return F.col(rule.signal)
    return (F.when(F.col("language").isin(*char_word_languages), F.col(rule.signal + CHAR_WORDS_SUFFIX))
            .otherwise(F.col(rule.signal)))


def rule_fires(rule: Rule, language_overrides: dict[str, dict[str, float]],
               char_word_languages: Sequence[str] = ()) -> Column:
    """True when the rule drops the row; a null signal never fires (as in `Rule.fires`)."""
    cond = _OPS[rule.op](_signal(rule, char_word_languages), _threshold(rule, language_overrides))
    return F.coalesce(cond, F.lit(False))


def first_failure_column(rules: Iterable[Rule], language_overrides: dict[str, dict[str, float]],
                         char_word_languages: Sequence[str] = ()) -> Column:
    """`family:rule` of the first rule that fires, or null when the document is kept."""
    expr = None
    for rule in rules:
        fires = rule_fires(rule, language_overrides, char_word_languages)
        expr = F.when(fires, F.lit(rule.key)) if expr is None else expr.when(fires, F.lit(rule.key))
    return expr if expr is not None else F.lit(None).cast("string")


def decide(df: DataFrame, cfg: GoldConfig, languages: list[str]) -> DataFrame:
    """Add `drop_reason` (null = keep) and `drop_family`, keeping every input column."""
    rules = active_rules(cfg, languages)
    derived = with_derived_signals(df, cfg, languages)
    helper_cols = [c for c in derived.columns if c.startswith("_") and c not in df.columns]
    overrides = effective_language_overrides(cfg.language_overrides)
    decided = derived.withColumn("drop_reason",
                                 first_failure_column(rules, overrides, cfg.char_word_languages))
    decided = decided.withColumn("drop_family", F.split(F.col("drop_reason"), ":").getItem(0))
    return decided.drop(*helper_cols)
