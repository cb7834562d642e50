"""FineWeb2's per-language values that gold does not apply as rule thresholds, as data, and views of the ones it does.

The applied values (word-length range, alpha-word fraction, duplicate-line fraction, top and duplicated n-gram
fractions, line punctuation and newline ratios) are in the rows of etl.catalog.RULES (each rule's ``fineweb2``
column), with the config file and commit each was copied from in etl.catalog.FINEWEB2_SOURCES. FineWeb2 has no
English config (English is FineWeb, i.e. datatrove's defaults, which the rows' defaults already are), so English has
no entry rather than invented values. Kept here as data only, and why:

* ``language_score``: FineWeb2's is a GlotLID probability; ours is langdetect's, a different scale (langdetect gives
  1.0 to almost every clean page), so the value would not mean the same cut.
* ``stop_words``: FineWeb2 requires 2 of them (``min_stop_words=2``), but silver counts Gopher's English stop words
  only, and gold reads one signal for every language; the rule stays off outside English (the catalog's row).
"""

from __future__ import annotations

from dataclasses import dataclass

from etl.catalog import FINEWEB2_REPO, FINEWEB2_SOURCES, RULES

__all__ = ["FINEWEB2_REPO", "FINEWEB2_THRESHOLDS", "FINEWEB2_PIPELINE_OVERRIDES", "FINEWEB2_FAMILIES",
           "FINEWEB2_MIN_STOP_WORDS", "LanguageThresholds", "fineweb2_rule_overrides"]


@dataclass(frozen=True)
class LanguageThresholds:
    """What one FineWeb2 config holds beyond the rule thresholds (those are in the catalog's rows)."""

    source: str  # config file @ commit every value of this entry was copied from (etl.catalog.FINEWEB2_SOURCES)
    language_score: float  # `language_score` (GlotLID; not applied, see the module docstring)
    stop_words: tuple[str, ...]  # `stopwords` (FineWeb2 requires 2 of them; not applied, see the module docstring)


_NOT_APPLIED: dict[str, tuple[float, tuple[str, ...]]] = {
    "ar": (0.711, ("،", "في", "من", "على", "إلى", "عام", "أن", "مع", "أو", "هو", "عن", "التي", "كان", "بين", "ما",
                   "كانت", "هي", "المتحدة", "بعد")),
    "de": (0.821, ("der", "und", "die", "in", "von", "im", "den", "des", "mit", "das", "er", "dem", "als", "wurde",
                   "für")),
    "es": (0.84, ("de", "la", "en", "el", "y", "a", "que", "del", "los", "se", "por", "un", "con", "una", "las",
                  "su")),
    "fr": (0.824, ("de", "la", "le", "et", "à", "en", "l'", "des", "du", "les", "est", "d'", "un", "une", "il",
                   "dans", "par", "au")),
    "ru": (0.9, ("в", "и", "на", "с", "года", "по", "году", "из", "был", "к", "не", "от", "что", "за", "для",
                 "его", "как", "а", "он", "также", "до", "после")),
    "zh": (0.692, ("的", "年", "在", "月", "是", "和", "日", "了", "於", "·", "為", "有", "被", "人", "中", "为", "他",
                   "與", "後", "也", "而", "由")),
}
FINEWEB2_THRESHOLDS: dict[str, LanguageThresholds] = {
    lang: LanguageThresholds(FINEWEB2_SOURCES[lang], score, words) for lang, (score, words) in _NOT_APPLIED.items()
}

# FineWeb2 pipeline choices that are the same for every language (fineweb-2-pipeline.py@7ee60b36): not per-language
# thresholds, so gold does not adopt them (our input is WET text, FineWeb2's is Trafilatura's); evals use them to
# reproduce what FineWeb2 itself would keep.
FINEWEB2_PIPELINE_OVERRIDES: dict[str, float] = {
    "gopher_repetition:dup_para_frac": 1,  # dup_para_frac=0 (disabled)
    "gopher_repetition:dup_para_char_frac": 1,  # dup_para_char_frac=0 (disabled)
    "gopher_repetition:dup_line_char_frac": 1,  # dup_line_char_frac=0 (disabled)
    "fineweb:short_line_ratio": 1,  # short_line_thr=999 (disabled)
    "fineweb:char_dup_ratio": 0.1,  # char_duplicates_ratio=0.1 ("changed from 0.01 in fineweb english")
}
FINEWEB2_FAMILIES = ("gopher_repetition", "fineweb", "gopher_quality")  # "we do not apply the C4 filters"
FINEWEB2_MIN_STOP_WORDS = 2  # GopherQualityFilter(min_stop_words=2)


def fineweb2_rule_overrides(language: str) -> dict[str, float]:
    """``{"family:rule": threshold}`` of FineWeb2's values for the language, from the catalog's rows ({} without)."""
    return {rule.key: rule.fineweb2[language] for rule in RULES if language in rule.fineweb2}
