"""The rules gold runs, as the report shows them: thresholds per signal, the rule table, readable drop conditions.

Derived from the config alone (no Spark): the rules and their descriptions are etl.catalog's rows through gold's
active_rules, what an operator drops is the catalog's operator table (the one gold's CASE WHEN uses), and a
language's threshold is gold's own precedence (decisions.threshold_for).
"""

from __future__ import annotations

from etl.catalog import DERIVED_SIGNALS, OPERATORS
from etl.config import PipelineConfig
from etl.gold.decisions import active_rules, effective_language_overrides, threshold_for
from etl.report.text import fmt

DERIVED_MEANING = {signal.name: signal.description for signal in DERIVED_SIGNALS}


def signal_thresholds(cfg: PipelineConfig, language: str | None = None) -> dict[str, list[dict]]:
    """{signal: [threshold rule, ...]} for the numeric rules gold runs; `threshold` is for `language` if given."""
    overrides = effective_language_overrides(cfg.gold.language_overrides)
    out: dict[str, list[dict]] = {}
    for rule in active_rules(cfg.gold, cfg.silver.languages):
        if OPERATORS[rule.op].is_flag:  # flags and labels have no threshold to draw
            continue
        out.setdefault(rule.signal, []).append({
            "rule": rule.key, "op": rule.op, "global": rule.threshold,
            "threshold": threshold_for(rule, language, overrides),
            "drops": OPERATORS[rule.op].drops,
            "per_language": {lang: o[rule.key] for lang, o in sorted(overrides.items()) if rule.key in o},
        })
    return out


def rule_table(cfg: PipelineConfig) -> list[dict]:
    """Every active rule with its global threshold and per-language overrides (for the card and the HTML)."""
    overrides = effective_language_overrides(cfg.gold.language_overrides)
    return [{"rule": r.key, "family": r.family, "signal": r.signal, "op": r.op, "threshold": r.threshold,
             "description": r.description, "per_language": {lang: o[r.key] for lang, o in sorted(overrides.items()) if r.key in o}}
            for r in active_rules(cfg.gold, cfg.silver.languages)]


def rule_condition(r: dict) -> str:
    """Readable drop condition; flag rules read helper columns that decisions derive, so name what they mean."""
    if r["threshold"] is None:
        return f"{r['signal']} {r['op']} (no threshold set: never drops)"
    if not OPERATORS[r["op"]].is_flag or not isinstance(r["threshold"], bool):
        return f"{r['signal'].lstrip('_')} {r['op']} {fmt(r['threshold'])}"  # a derived column without its _
    signal = DERIVED_MEANING.get(r["signal"], r["signal"])
    return signal if (r["op"] == "==") == r["threshold"] else f"not ({signal})"


def overrides_text(per_language: dict) -> str:
    return "; ".join(f"{lang}: {fmt(v)}" for lang, v in per_language.items())


def verified_jaccard(d: dict) -> str:
    """How a candidate pair's Jaccard was measured, for the report and the card."""
    return "exact shingle-set Jaccard" if d.get("verify_method") == "exact" else "estimated Jaccard"


def drop_conditions(rules: list[dict], dedup: dict) -> dict[str, str]:
    """{reason: drops when} for every reason gold/rejections can hold: the rules, then the two dedup stages."""
    conditions = {r["rule"]: rule_condition(r) for r in rules}
    conditions["dedup:exact_duplicate"] = "same SHA-256 of normalised text as its cluster's survivor"
    conditions["dedup:near_duplicate"] = (f"MinHash-LSH ({dedup['bands']} bands x {dedup['rows']} rows) linked it "
                                          f"to its cluster, {verified_jaccard(dedup)} >= "
                                          f"{fmt(dedup['verify_threshold'])}")
    return conditions
