"""Rules over silver signals -> one `drop_reason` per document ("family:rule"), as native Spark SQL.

Every rule is a row of etl.catalog.RULES (family, signal, operator, default and per-language thresholds, the config
that enables it); this module only turns the rows a config enables into one CASE WHEN, with the catalog's operator
table. A rule whose threshold is a config value takes it from GoldConfig; per-language thresholds become CASE WHEN
thresholds, and word-based rules read the character-split signals for GoldConfig.char_word_languages, so one pass
decides every language. The helper columns some rules read (catalog DERIVED_SIGNALS) are derived here from stored
signals and dropped again.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Iterable, Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from etl import catalog
from etl.catalog import (
    ANY_LANGUAGE, CHAR_WORDS_SUFFIX, OPERATORS, TOXICITY_DIMENSIONS, TOXICITY_MAX_WEIGHT, TOXICITY_TIER_SCORES,
    TOXICITY_TIERS, WORD_SIGNALS, Rule,
)
from etl.config import GoldConfig
from etl.gold.rules import with_overrides
from etl.silver.urls import banned_word_weight


def language_defaults(rules: Iterable[Rule] | None = None) -> dict[str, dict[str, float]]:
    """``{language: {"family:name": threshold}}``: the rows' per-language defaults (ours and FineWeb2's)."""
    out: dict[str, dict[str, float]] = {}
    for rule in catalog.RULES if rules is None else rules:
        for lang, value in rule.language_defaults.items():
            out.setdefault(lang, {})[rule.key] = value
    return out


DEFAULT_LANGUAGE_OVERRIDES = language_defaults()


def _config_value(key: str, cfg: GoldConfig, languages: Sequence[str]) -> Any:
    """A config value a rule row names: silver.languages (handed to gold on its own) or a gold.* field."""
    return list(languages) if key == "silver.languages" else getattr(cfg, key.split(".", 1)[1])


def enabled(rule: Rule, cfg: GoldConfig, languages: Sequence[str]) -> bool:
    """The row's ``enabled_by`` holds: its config list has the value (any value for None), or equals it."""
    if rule.enabled_by is None:
        return True
    key, wanted = rule.enabled_by
    value = _config_value(key, cfg, languages)
    if isinstance(value, (list, tuple)):
        return bool(value) if wanted is None else wanted in value
    return value == wanted


def _configured(rule: Rule, cfg: GoldConfig, languages: Sequence[str]) -> Rule:
    """The rule with its threshold from GoldConfig when the row says a config value sets it (an unset one keeps
    the row's default)."""
    value = None if rule.config_key is None else _config_value(rule.config_key, cfg, languages)
    return rule if value is None else dataclasses.replace(rule, threshold=value)


def catalog_rules(cfg: GoldConfig, languages: Sequence[str], rules: Iterable[Rule] | None = None) -> tuple[Rule, ...]:
    """The catalog's rows (default catalog.RULES as it is now) this config enables, with config thresholds."""
    rows = catalog.RULES if rules is None else tuple(rules)
    return tuple(_configured(rule, cfg, languages) for rule in rows if enabled(rule, cfg, languages))


def extra_rules(cfg: GoldConfig, languages: Sequence[str]) -> tuple[Rule, ...]:
    """The enabled catalog rows outside datatrove's families (language, url, badwords, toxicity, ...), configured."""
    return tuple(r for r in catalog_rules(cfg, languages) if r.family not in catalog.FAMILIES)


def active_rules(cfg: GoldConfig, languages: Sequence[str]) -> list[Rule]:
    """Enabled rules in evaluation order (catalog families in their order, then gold.extra_rules), with
    gold.rule_overrides applied (an override of a rule whose family is off has nothing to change)."""
    everything = catalog_rules(cfg, languages)
    ordered = [r for fam in catalog.family_order() if fam in cfg.families for r in everything if r.family == fam]
    ordered += cfg.custom_rules()
    active = {r.key for r in ordered}
    return list(with_overrides(ordered, {k: v for k, v in cfg.rule_overrides.items() if k in active}))


def _tox_tier_score() -> Column:
    """The worst sentence's lexicon score from stored scores: tox_total (the worst sentence's total), raised to the
    mild tier's score when a dimension is at its maximum weight (tox_* hold each dimension's worst sentence)."""
    at_max = F.greatest(*(F.col(f"tox_{d}") for d in TOXICITY_DIMENSIONS)) >= F.lit(TOXICITY_MAX_WEIGHT)
    mild = TOXICITY_TIER_SCORES[TOXICITY_TIERS[1]]  # the first tier above none
    return F.when(at_max, F.greatest(F.col("tox_total"), F.lit(mild))).otherwise(F.col("tox_total"))


def _url_banned_weight() -> Column:
    """RefinedWeb's banned URL words, weighted; 0 for an allowlisted host (the allowlist wins)."""
    return F.when(F.coalesce(F.col("url_allowlisted"), F.lit(False)), F.lit(0)).otherwise(banned_word_weight())


def with_derived_signals(df: DataFrame, cfg: GoldConfig, languages: list[str]) -> DataFrame:
    """Helper columns the active rules read (catalog DERIVED_SIGNALS; dropped again after deciding)."""
    needed = {rule.signal for rule in active_rules(cfg, languages)}
    derived = {"_language_missing": lambda: F.col("language").isNull(),
               "_language_unwanted": lambda: F.col("language").isNull() | ~F.col("language").isin(*languages),
               "_tox_tier_score": _tox_tier_score,
               "_url_banned_weight": _url_banned_weight}
    out = df
    for name, expr in derived.items():
        if name in needed:
            out = out.withColumn(name, expr())
    return out


def effective_language_overrides(user: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """The rows' per-language defaults with the user's per-language thresholds merged on top."""
    merged = language_defaults()
    for lang, rules in user.items():
        merged.setdefault(lang, {}).update(rules)
    return merged


def threshold_for(rule: Rule, language: str | None, language_overrides: dict[str, dict[str, float]]):
    """The threshold gold applies to documents of ``language``: its own override, else ANY_LANGUAGE's (any
    detected language), else the rule's global one. `_threshold` is the same precedence as a column expression."""
    if language is not None:
        for key in (language, ANY_LANGUAGE):
            if rule.key in language_overrides.get(key, {}):
                return language_overrides[key][rule.key]
    return rule.threshold


def _threshold(rule: Rule, language_overrides: dict[str, dict[str, float]]) -> Column:
    """The rule's threshold, per language where overridden; ANY_LANGUAGE covers every detected language not listed."""
    expr = F.lit(rule.threshold)
    other = language_overrides.get(ANY_LANGUAGE, {})
    if rule.key in other:
        expr = F.when(F.col("language").isNotNull(), F.lit(other[rule.key])).otherwise(expr)
    for lang, overrides in sorted(language_overrides.items()):
        if lang != ANY_LANGUAGE and rule.key in overrides:
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
    cond = OPERATORS[rule.op](_signal(rule, char_word_languages), _threshold(rule, language_overrides))
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
