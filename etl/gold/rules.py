"""Working with the catalog's rules (etl.catalog holds them as data): first failure, per-family subsets, overrides.

No pyspark here: etl.gold.decisions turns each Rule into a column expression, and the tests and evals use these
on plain dicts of signals.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

from etl.catalog import (
    C4_RULES, DEFAULT_RULES, FAMILIES, FINEWEB_RULES, GOPHER_QUALITY_RULES, GOPHER_REPETITION_RULES, Rule,
)

# The rule tables are read through this module by tests and evals; they live in etl.catalog.
__all__ = ["C4_RULES", "DEFAULT_RULES", "FAMILIES", "FINEWEB_RULES", "GOPHER_QUALITY_RULES", "GOPHER_REPETITION_RULES",
           "Rule", "family_rules", "first_failure", "with_overrides"]


def first_failure(signals: Mapping, rules: Iterable[Rule] = DEFAULT_RULES) -> str | None:
    """``family:name`` of the first rule that drops the document, or None when every rule keeps it."""
    for rule in rules:
        if rule.fires(signals):
            return rule.key
    return None


def family_rules(rules: Iterable[Rule], family: str) -> tuple[Rule, ...]:
    """The rules of one family, in table order."""
    return tuple(rule for rule in rules if rule.family == family)


def with_overrides(rules: Iterable[Rule], overrides: Mapping[str, float]) -> tuple[Rule, ...]:
    """A copy of ``rules`` with thresholds replaced by ``{"family:name": value}``; unknown keys raise ValueError."""
    rules = tuple(rules)
    unknown = set(overrides) - {rule.key for rule in rules}
    if unknown:
        raise ValueError(f"unknown rule(s) in overrides: {', '.join(sorted(unknown))}")
    return tuple(
        dataclasses.replace(rule, threshold=overrides[rule.key]) if rule.key in overrides else rule for rule in rules
    )
