"""Rules over silver signals -> one `drop_reason` per document ("family:rule"), as native Spark SQL.

Quality rules come from etl.gold.rules (datatrove's order and defaults); language, url, badwords and toxicity rules
are defined here over derived columns. Per-language overrides become CASE WHEN thresholds, and word-based rules
read the character-split signals for GoldConfig.char_word_languages, so one pass decides every language. Families
run cheap and decisive first: language, url, then quality, then toxicity.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from etl.config import DEFAULT_MODEL_TOXICITY, GoldConfig
from etl.gold.language_thresholds import FINEWEB2_THRESHOLDS, fineweb2_rule_overrides
from etl.gold.rules import DEFAULT_RULES, Rule, with_overrides
from etl.silver.quality import CHAR_WORDS_SUFFIX, WORD_SIGNALS
from etl.silver.urls import URL_RULES

FAMILY_ORDER = ("language", "url", "gopher_quality", "gopher_repetition", "c4", "fineweb", "badwords", "toxicity")
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


def extra_rules(cfg: GoldConfig, languages: list[str]) -> tuple[Rule, ...]:
    """Rules for the families that are not datatrove's: their signals are derived in `with_derived_signals`."""
    rules = []
    if languages:
        rules.append(Rule("language", "not_wanted", "_language_unwanted", "==", True))
    rules.append(Rule("language", "undetected", "_language_missing", "==", True))
    rules.append(Rule("language", "low_score", "language_score", "<", cfg.min_language_score))
    rules.extend(URL_RULES)
    # On the ratio, not the raw count (obscenity_hits stays in silver as a signal): see GoldConfig.max_badword_ratio.
    rules.append(Rule("badwords", "ldnoobw_ratio", "obscenity_word_ratio", ">", cfg.max_badword_ratio))
    for tier in cfg.toxicity_drop_tiers:
        rules.append(Rule("toxicity", f"tier_{tier}", f"_tox_tier_{tier}", "==", True))
    model_cut = DEFAULT_MODEL_TOXICITY if cfg.max_model_toxicity is None else cfg.max_model_toxicity
    rules.append(Rule("toxicity", "model_score", "tox_model_score", ">", model_cut))
    return tuple(rules)


def active_rules(cfg: GoldConfig, languages: list[str]) -> list[Rule]:
    """Enabled rules in evaluation order, with global threshold overrides applied."""
    quality = with_overrides(DEFAULT_RULES, cfg.rule_overrides)
    everything = list(extra_rules(cfg, languages)) + list(quality)
    by_family = {fam: [r for r in everything if r.family == fam] for fam in FAMILY_ORDER}
    return [r for fam in FAMILY_ORDER if fam in cfg.families for r in by_family[fam]]


def with_derived_signals(df: DataFrame, cfg: GoldConfig, languages: list[str]) -> DataFrame:
    """Boolean helper columns the extra rules read (dropped again after deciding)."""
    out = df.withColumn("_language_missing", F.col("language").isNull())
    if languages:
        out = out.withColumn("_language_unwanted",
                             F.col("language").isNull() | ~F.col("language").isin(*languages))
    for tier in cfg.toxicity_drop_tiers:
        out = out.withColumn(f"_tox_tier_{tier}", F.col("tox_tier") == F.lit(tier))
    return out


def effective_language_overrides(user: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """DEFAULT_LANGUAGE_OVERRIDES with the user's per-language thresholds merged on top."""
    merged = {lang: dict(rules) for lang, rules in DEFAULT_LANGUAGE_OVERRIDES.items()}
    for lang, rules in user.items():
        merged.setdefault(lang, {}).update(rules)
    return merged


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
