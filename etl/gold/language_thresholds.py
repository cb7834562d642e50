"""FineWeb2's per-language filter thresholds, as data, and the rule overrides gold derives from them.

Source: the per-language configs of FineWeb2 (github.com/huggingface/fineweb-2, ``configs/<lang>_<script>.yml``, read
by ``fineweb-2-pipeline.py``). Every number below is copied from the file and commit named in the entry's ``source``;
the field comments name the YAML key. FineWeb2 has no English config (English is FineWeb, i.e. datatrove's defaults,
which DEFAULT_RULES already are), so English has no entry here rather than invented values.

What is applied (`fineweb2_rule_overrides`): word-length range, alpha-word fraction, duplicate-line fraction, top and
duplicated n-gram fractions, line punctuation and newline ratios. What is kept as data only, and why:

* ``language_score``: FineWeb2's is a GlotLID probability; ours is langdetect's, a different scale (langdetect gives
  1.0 to almost every clean page), so the value would not mean the same cut.
* ``stop_words``: FineWeb2 requires 2 of them (``min_stop_words=2``), but silver counts Gopher's English stop words
  only, and gold reads one signal for every language; the rule stays off outside English (see decisions.py).
"""

from __future__ import annotations

from dataclasses import dataclass

FINEWEB2_REPO = "huggingface/fineweb-2"
_COMMIT_A = "05e6729567a5df985fbd814e862c48f796feb09f"  # the commit each config below was read at
_COMMIT_B = "baedee44633384b26d433b68f88cb73cc0915d1a"
TOP_NGRAM_SIZES = (2, 3, 4)
DUP_NGRAM_SIZES = (5, 6, 7, 8, 9, 10)


@dataclass(frozen=True)
class LanguageThresholds:
    """One FineWeb2 config. Polarity as in FineWeb2: a document is dropped below a minimum or above a maximum."""

    source: str  # config file @ commit every value of this entry was copied from
    language_score: float  # `language_score` (GlotLID; not applied, see the module docstring)
    min_avg_word_length: float  # `min_avg_word_length` (0 disables the rule, as in datatrove)
    max_avg_word_length: float  # `max_avg_word_length`
    min_alpha_word_frac: float  # `max_non_alpha_words_ratio` (datatrove's name; it is the minimum alpha fraction)
    dup_line_frac: float  # `dup_line_frac`
    top_ngram_char_frac: tuple[float, float, float]  # `top_n_grams`, for n = TOP_NGRAM_SIZES
    dup_ngram_char_frac: tuple[float, float, float, float, float, float]  # `dup_n_grams`, for n = DUP_NGRAM_SIZES
    line_punct_thr: float  # `line_punct_thr` (0 disables the rule)
    new_line_ratio: float  # `new_line_ratio`
    stop_words: tuple[str, ...]  # `stopwords` (FineWeb2 requires 2 of them; not applied, see the module docstring)


FINEWEB2_THRESHOLDS: dict[str, LanguageThresholds] = {
    "ar": LanguageThresholds(
        source=f"configs/arb_Arab.yml@{_COMMIT_A}", language_score=0.711, min_avg_word_length=2,
        max_avg_word_length=9, min_alpha_word_frac=0.787, dup_line_frac=0.304,
        top_ngram_char_frac=(0.197, 0.172, 0.146), dup_ngram_char_frac=(0.165, 0.153, 0.142, 0.131, 0.12, 0.109),
        line_punct_thr=0.143, new_line_ratio=0.189,
        stop_words=("،", "في", "من", "على", "إلى", "عام", "أن", "مع", "أو", "هو", "عن", "التي", "كان", "بين", "ما",
                    "كانت", "هي", "المتحدة", "بعد")),
    "de": LanguageThresholds(
        source=f"configs/deu_Latn.yml@{_COMMIT_A}", language_score=0.821, min_avg_word_length=0,
        max_avg_word_length=15, min_alpha_word_frac=0.774, dup_line_frac=0.263,
        top_ngram_char_frac=(0.169, 0.153, 0.137), dup_ngram_char_frac=(0.141, 0.134, 0.126, 0.117, 0.108, 0.098),
        line_punct_thr=0.0, new_line_ratio=0.152,
        stop_words=("der", "und", "die", "in", "von", "im", "den", "des", "mit", "das", "er", "dem", "als", "wurde",
                    "für")),
    "es": LanguageThresholds(
        source=f"configs/spa_Latn.yml@{_COMMIT_B}", language_score=0.84, min_avg_word_length=4,
        max_avg_word_length=14, min_alpha_word_frac=0.825, dup_line_frac=0.265,
        top_ngram_char_frac=(0.077, 0.097, 0.112), dup_ngram_char_frac=(0.152, 0.137, 0.123, 0.114, 0.107, 0.099),
        line_punct_thr=0.3, new_line_ratio=0.171,
        stop_words=("de", "la", "en", "el", "y", "a", "que", "del", "los", "se", "por", "un", "con", "una", "las",
                    "su")),
    "fr": LanguageThresholds(
        source=f"configs/fra_Latn.yml@{_COMMIT_A}", language_score=0.824, min_avg_word_length=2,
        max_avg_word_length=11, min_alpha_word_frac=0.812, dup_line_frac=0.264,
        top_ngram_char_frac=(0.161, 0.149, 0.134), dup_ngram_char_frac=(0.15, 0.141, 0.131, 0.121, 0.111, 0.1),
        line_punct_thr=0.1, new_line_ratio=0.185,
        stop_words=("de", "la", "le", "et", "à", "en", "l'", "des", "du", "les", "est", "d'", "un", "une", "il",
                    "dans", "par", "au")),
    "ru": LanguageThresholds(
        source=f"configs/rus_Cyrl.yml@{_COMMIT_A}", language_score=0.9, min_avg_word_length=3,
        max_avg_word_length=11, min_alpha_word_frac=0.713, dup_line_frac=0.322,
        top_ngram_char_frac=(0.184, 0.164, 0.146), dup_ngram_char_frac=(0.168, 0.156, 0.145, 0.133, 0.121, 0.109),
        line_punct_thr=0.231, new_line_ratio=0.139,
        stop_words=("в", "и", "на", "с", "года", "по", "году", "из", "был", "к", "не", "от", "что", "за", "для",
                    "его", "как", "а", "он", "также", "до", "после")),
    # FineWeb2 splits Chinese into words with a segmenter; our zh rules read per-character words (*_charwords), so
    # the mean word length is 1 for pure Han text, inside FineWeb2's 1..5 range.
    "zh": LanguageThresholds(
        source=f"configs/cmn_Hani.yml@{_COMMIT_A}", language_score=0.692, min_avg_word_length=1,
        max_avg_word_length=5, min_alpha_word_frac=0.735, dup_line_frac=0.287,
        top_ngram_char_frac=(0.256, 0.201, 0.171), dup_ngram_char_frac=(0.198, 0.182, 0.167, 0.154, 0.14, 0.127),
        line_punct_thr=0.106, new_line_ratio=0.178,
        stop_words=("的", "年", "在", "月", "是", "和", "日", "了", "於", "·", "為", "有", "被", "人", "中", "为", "他",
                    "與", "後", "也", "而", "由")),
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
    """``{"family:rule": threshold}`` for gold's rule table from the language's FineWeb2 config ({} without one)."""
    t = FINEWEB2_THRESHOLDS.get(language)
    if t is None:
        return {}
    overrides = {
        "gopher_quality:below_avg_word_len": t.min_avg_word_length,
        "gopher_quality:above_avg_word_len": t.max_avg_word_length,
        "gopher_quality:below_alpha_threshold": t.min_alpha_word_frac,
        "gopher_repetition:dup_line_frac": t.dup_line_frac,
        "fineweb:line_punct_ratio": t.line_punct_thr,
        "fineweb:list_ratio": t.new_line_ratio,
    }
    overrides.update({f"gopher_repetition:top_{n}_gram": v for n, v in zip(TOP_NGRAM_SIZES, t.top_ngram_char_frac)})
    overrides.update({f"gopher_repetition:duplicated_{n}_n_grams": v
                      for n, v in zip(DUP_NGRAM_SIZES, t.dup_ngram_char_frac)})
    return overrides
