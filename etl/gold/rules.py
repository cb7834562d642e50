"""The quality rule table (gold): thresholds over silver signals, kept as data so Spark and tests share it.

Polarity: a rule DROPS a document when ``signal op threshold`` is true; a document is kept by a family when no
rule of that family fires. Rules are listed in datatrove 0.10's own check order with its default parameters, so
the first rule that fires names the same reason datatrove would give. No pyspark here: the Spark side turns each
Rule into a column expression.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq, "!=": operator.ne}


@dataclass(frozen=True)
class Rule:
    """One drop condition: the document is dropped when ``signals[signal] <op> threshold`` holds."""

    family: str
    name: str
    signal: str
    op: str
    threshold: float | int | bool

    def __post_init__(self) -> None:
        if self.op not in _OPS:
            raise ValueError(f"rule {self.key}: unknown operator {self.op!r} (use one of {sorted(_OPS)})")

    @property
    def key(self) -> str:
        """``family:name``, the id used in drop reasons and overrides."""
        return f"{self.family}:{self.name}"

    def fires(self, signals: Mapping) -> bool:
        """True when this rule drops the document; a missing or None signal never fires."""
        value = signals.get(self.signal)
        return value is not None and bool(_OPS[self.op](value, self.threshold))


def _family(family: str, rows: Iterable[tuple[str, str, str, float | int | bool]]) -> tuple[Rule, ...]:
    return tuple(Rule(family, name, signal, op, threshold) for name, signal, op, threshold in rows)


GOPHER_QUALITY_RULES = _family("gopher_quality", [
    ("short_doc", "gopher_n_words", "<", 50),
    ("long_doc", "gopher_n_words", ">", 100_000),
    ("below_avg_word_len", "gopher_mean_word_len", "<", 3),
    ("above_avg_word_len", "gopher_mean_word_len", ">", 10),
    ("too_many_hashes", "gopher_hash_word_ratio", ">", 0.1),
    ("too_many_ellipsis", "gopher_ellipsis_word_ratio", ">", 0.1),
    ("too_many_bullets", "gopher_bullet_line_frac", ">", 0.9),
    ("too_many_end_ellipsis", "gopher_ellipsis_line_frac", ">", 0.3),
    ("below_alpha_threshold", "gopher_alpha_word_frac", "<", 0.8),
    ("few_stop_words", "gopher_n_stop_words", "<", 2),
])

GOPHER_REPETITION_RULES = _family("gopher_repetition", [
    ("empty", "n_chars", "<", 1),
    ("dup_para_frac", "gopher_rep_dup_para_frac", ">", 0.3),
    ("dup_para_char_frac", "gopher_rep_dup_para_char_frac", ">", 0.2),
    ("dup_line_frac", "gopher_rep_dup_line_frac", ">", 0.3),
    ("dup_line_char_frac", "gopher_rep_dup_line_char_frac", ">", 0.2),
    ("top_2_gram", "gopher_rep_top_2gram_char_frac", ">", 0.2),
    ("top_3_gram", "gopher_rep_top_3gram_char_frac", ">", 0.18),
    ("top_4_gram", "gopher_rep_top_4gram_char_frac", ">", 0.16),
    ("duplicated_5_n_grams", "gopher_rep_dup_5gram_char_frac", ">", 0.15),
    ("duplicated_6_n_grams", "gopher_rep_dup_6gram_char_frac", ">", 0.14),
    ("duplicated_7_n_grams", "gopher_rep_dup_7gram_char_frac", ">", 0.13),
    ("duplicated_8_n_grams", "gopher_rep_dup_8gram_char_frac", ">", 0.12),
    ("duplicated_9_n_grams", "gopher_rep_dup_9gram_char_frac", ">", 0.11),
    ("duplicated_10_n_grams", "gopher_rep_dup_10gram_char_frac", ">", 0.10),
])

# datatrove stops at the first lorem-ipsum or curly-bracket line, whichever comes first in the text; both drop the
# document, so only the reported reason can differ when a document has both.
C4_RULES = _family("c4", [
    ("lorem_ipsum", "c4_has_lorem_ipsum", "==", True),
    ("curly_bracket", "c4_has_curly_bracket", "==", True),
    ("too_few_sentences", "c4_n_sentences", "<", 5),
])

FINEWEB_RULES = _family("fineweb", [
    ("empty", "fineweb_n_lines", "<", 1),
    ("line_punct_ratio", "fineweb_line_punct_frac", "<", 0.12),
    ("short_line_ratio", "fineweb_short_line_frac", ">", 0.67),
    ("char_dup_ratio", "fineweb_dup_line_char_frac", ">", 0.01),
    ("list_ratio", "fineweb_newline_word_ratio", ">", 0.3),
])

DEFAULT_RULES: tuple[Rule, ...] = GOPHER_QUALITY_RULES + GOPHER_REPETITION_RULES + C4_RULES + FINEWEB_RULES
FAMILIES: tuple[str, ...] = ("gopher_quality", "gopher_repetition", "c4", "fineweb")


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
