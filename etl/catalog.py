"""The catalog: every silver signal and every gold rule, with its type, family and meaning, kept as plain data.

The bottom of the package (it imports nothing from etl), so every layer may read it: silver's schema, gold's
decisions, config validation, the report's "drops when" column, the dataset card and the Delta column comments.
Adding a rule over an existing signal is one row in RULES (a new family is new rows); a rule over a new signal is
that plus one entry in SIGNALS and the function that computes it (CONTRIBUTING.md walks through both).

Polarity: a rule DROPS a document when ``signal op threshold`` holds; a null signal never fires.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Column types as Spark SQL spells them; silver's Arrow schema maps them (etl.silver.signals).
SIGNAL_TYPES = ("int", "bigint", "double", "boolean", "string", "timestamp", "array<string>")

# What each family checks (the report and the dataset card). The families and their evaluation order are the
# rules' own (family_order(): first appearance in RULES), so a family exists by having rows.
FAMILY_DESCRIPTIONS = {
    "language": "language identification: unwanted, undetected or unsure",
    "url": "RefinedWeb-style URL filters: blocklisted domains and banned words in the URL",
    "gopher_quality": "Gopher (MassiveText) quality heuristics, datatrove's GopherQualityFilter",
    "gopher_repetition": "Gopher repetition heuristics, datatrove's GopherRepetitionFilter",
    "c4": "C4 document rules, datatrove's C4QualityFilter",
    "fineweb": "FineWeb's extra quality rules, datatrove's FineWebQualityFilter",
    "badwords": "LDNOOBW obscene-word ratio in the document's own language",
    "toxicity": "toxicity lexicon tier and the trained classifier's score",
    "quality_model": "a trained quality classifier (reference text vs the crawl), DCLM / FineWeb-Edu style",
    "pii": "personal data (e-mail, public IP, phone, payment card, IBAN): redacted in gold, or dropped above a count",
    "decontamination": "shares a word n-gram with an evaluation benchmark (a Spark join on n-gram hashes)",
}

# Word-splitting-dependent signals are stored twice; this suffix names the character-split copy (etl.silver.quality).
CHAR_WORDS_SUFFIX = "_charwords"
# The key of a per-language table (rule thresholds, a model's thresholds file, lexicons) that stands for every
# language the table does not list.
ANY_LANGUAGE = "*"
# Scripts written without spaces between words: gold reads their character-split word signals by default
# (GoldConfig.char_word_languages) and the lexicons match them as substrings (etl.silver.toxicity).
NO_SPACE_LANGUAGES = ("zh", "ja", "th")
# Word n-gram sizes of Gopher's repetition signals: the most frequent n-gram's share, and repeated n-grams' share.
TOP_NGRAM_SIZES = (2, 3, 4)
DUP_NGRAM_SIZES = (5, 6, 7, 8, 9, 10)
TOXICITY_DIMENSIONS = ("race_origin", "gender_sex", "religion", "ability", "violence")
# The lexicon's tiers, each with the lowest sentence score in it (a sentence's score is its dimensions' total, raised
# to the mild score when one dimension is at TOXICITY_MAX_WEIGHT). Silver's tox_tier label and gold's
# toxicity:tier_* rule defaults both read these.
TOXICITY_TIER_SCORES = {"none": 0, "mild": 4, "toxic": 7}
TOXICITY_TIERS = tuple(TOXICITY_TIER_SCORES)
TOXICITY_MAX_WEIGHT = 3
# RefinedWeb's URL words: one hard-banned word bans a URL, a soft-banned one needs a second. As one number for gold's
# url:banned_word rule: each word's weight, summed, against URL_BANNED_MIN_WEIGHT (silver's url_banned label too).
URL_BANNED_WORD_WEIGHTS = {"url_hard_banned_hits": 2, "url_soft_banned_hits": 1}
URL_BANNED_MIN_WEIGHT = 2


@dataclass(frozen=True)
class Signal:
    """One silver column: name, Spark SQL type, the family that computes it, and what it means."""

    name: str
    type: str
    family: str
    description: str

    def __post_init__(self) -> None:
        if self.type not in SIGNAL_TYPES:
            raise ValueError(f"signal {self.name}: unknown type {self.type!r} (use one of {SIGNAL_TYPES})")


@dataclass(frozen=True)
class Operator:
    """A comparison of a value with a threshold: one function for Python values and Spark columns alike (gold's
    CASE WHEN, subsets, evals), and the side of the threshold it drops, as the report reads it."""

    symbol: str
    compare: Callable[[Any, Any], Any]
    drops: str  # "below", "above", "at" or "off" the threshold

    def __call__(self, value, threshold):
        return self.compare(value, threshold)

    @property
    def is_flag(self) -> bool:
        """Equality compares flags and labels: there is no threshold to draw."""
        return self.drops in ("at", "off")


OPERATORS: dict[str, Operator] = {op.symbol: op for op in (
    Operator("<", operator.lt, "below"), Operator("<=", operator.le, "below"),
    Operator(">", operator.gt, "above"), Operator(">=", operator.ge, "above"),
    Operator("==", operator.eq, "at"), Operator("!=", operator.ne, "off"),
)}

# FineWeb2's per-language configs (github.com/huggingface/fineweb-2, ``configs/<lang>_<script>.yml``, read by
# ``fineweb-2-pipeline.py``): the file and commit every value in a rule's ``fineweb2`` column was copied from.
FINEWEB2_REPO = "huggingface/fineweb-2"
_FW2_A = "05e6729567a5df985fbd814e862c48f796feb09f"
_FW2_B = "baedee44633384b26d433b68f88cb73cc0915d1a"
FINEWEB2_SOURCES: dict[str, str] = {
    "ar": f"configs/arb_Arab.yml@{_FW2_A}", "de": f"configs/deu_Latn.yml@{_FW2_A}",
    "es": f"configs/spa_Latn.yml@{_FW2_B}", "fr": f"configs/fra_Latn.yml@{_FW2_A}",
    "ru": f"configs/rus_Cyrl.yml@{_FW2_A}", "zh": f"configs/cmn_Hani.yml@{_FW2_A}",
}


@dataclass(frozen=True)
class Rule:
    """One drop condition, one row: the document is dropped when ``signals[signal] <op> threshold`` holds.

    ``languages`` are our per-language defaults (ANY_LANGUAGE: every detected language not listed) and ``fineweb2``
    FineWeb2's values (FINEWEB2_SOURCES); both apply, ours winning, under the user's ``gold.language_overrides``.
    ``config_key`` names the config value that sets the threshold when the rule's default lives in config
    (e.g. gold.min_language_score); every other threshold is overridden by ``gold.rule_overrides``.
    ``enabled_by`` = (config key, value): the rule runs only when that config list holds the value (any value for
    None) or that config value equals it, e.g. ("gold.pii", "drop").
    """

    family: str
    name: str
    signal: str
    op: str
    threshold: float | int | bool | None
    description: str = ""
    config_key: str | None = None
    languages: Mapping[str, float] = field(default_factory=dict, hash=False)
    fineweb2: Mapping[str, float] = field(default_factory=dict, hash=False)
    enabled_by: tuple[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.op not in OPERATORS:
            raise ValueError(f"rule {self.key}: unknown operator {self.op!r} (use one of {sorted(OPERATORS)})")
        unsourced = set(self.fineweb2) - set(FINEWEB2_SOURCES)
        if unsourced:
            raise ValueError(f"rule {self.key}: FineWeb2 values without a source: {sorted(unsourced)}")

    @property
    def key(self) -> str:
        """``family:name``, the id used in drop reasons and overrides."""
        return f"{self.family}:{self.name}"

    @property
    def language_defaults(self) -> dict[str, float]:
        """Per-language thresholds before the user's: FineWeb2's, then ours on top."""
        return {**self.fineweb2, **self.languages}

    def fires(self, signals) -> bool:
        """True when this rule drops the document; a missing or None signal (or threshold) never fires."""
        value = signals.get(self.signal)
        return value is not None and self.threshold is not None and bool(OPERATORS[self.op](value, self.threshold))


def _signals(family: str, rows) -> tuple[Signal, ...]:
    return tuple(Signal(name, kind, family, text) for name, kind, text in rows)


def _rules(family: str, rows) -> tuple[Rule, ...]:
    """Rows of (name, signal, op, threshold, description[, our per-language defaults[, FineWeb2's values]])."""
    return tuple(Rule(family, name, signal, op, threshold, text, languages=ours[0] if ours else {},
                      fineweb2=ours[1] if len(ours) > 1 else {})
                 for name, signal, op, threshold, text, *ours in rows)


def _fw2(ar, de, es, fr, ru, zh) -> dict[str, float]:
    """One rule's FineWeb2 values, in FINEWEB2_SOURCES' order."""
    return dict(zip(FINEWEB2_SOURCES, (ar, de, es, fr, ru, zh)))


# --- signals, in silver's column order --------------------------------------------------------------------------

DOCUMENT_COLUMNS = _signals("document", [
    ("doc_id", "string", "blake2b-128 of the WARC-Record-ID (or of the source's own id), hex: the key everywhere"),
    ("url", "string", "WARC-Target-URI of the page"),
    ("url_host", "string", "host of the URL: lower case, no userinfo or port, www. kept"),
    ("crawl_id", "string", "Common Crawl crawl, e.g. CC-MAIN-2024-22 (from warcinfo or the file path)"),
    ("warc_date", "timestamp", "WARC-Date: when the page was fetched"),
    ("cc_languages", "array<string>", "Common Crawl's CLD2 languages (ISO 639-3), most likely first"),
    ("content_length", "bigint", "payload bytes as declared (and verified) in the WARC header"),
    ("text", "string", "the page text after silver's Unicode normalisation"),
])

LANGUAGE_SIGNALS = _signals("language", [
    ("language", "string", "detected language (ISO 639-1 where one exists); Common Crawl's when it rules the page "
                           "out or the text is too short to judge"),
    ("language_score", "double", "langdetect's probability of `language`; null when taken from the header"),
    ("language_source", "string", "where `language` came from: langdetect, cc_header or none"),
    ("header_language", "string", "Common Crawl's most likely language, as a canonical code"),
])

_QUALITY_ROWS = [
    ("n_chars", "int", "characters in the normalised text", "gopher_repetition"),
    ("gopher_n_words", "int", "words (datatrove's English word splitting, punctuation tokens removed)",
     "gopher_quality"),
    ("gopher_mean_word_len", "double", "mean characters per word", "gopher_quality"),
    ("gopher_hash_word_ratio", "double", "'#' symbols per word", "gopher_quality"),
    ("gopher_ellipsis_word_ratio", "double", "ellipses ('...', '…') per word", "gopher_quality"),
    ("gopher_bullet_line_frac", "double", "share of lines that start with a bullet", "gopher_quality"),
    ("gopher_ellipsis_line_frac", "double", "share of lines that end with an ellipsis", "gopher_quality"),
    ("gopher_alpha_word_frac", "double", "share of words with at least one alphabetic character",
     "gopher_quality"),
    ("gopher_n_stop_words", "int", "Gopher's English stop words present (the, be, to, of, and, that, have, with)",
     "gopher_quality"),
    ("gopher_rep_dup_para_frac", "double", "share of paragraphs that repeat an earlier one", "gopher_repetition"),
    ("gopher_rep_dup_para_char_frac", "double", "share of characters in repeated paragraphs", "gopher_repetition"),
    ("gopher_rep_dup_line_frac", "double", "share of lines that repeat an earlier one", "gopher_repetition"),
    ("gopher_rep_dup_line_char_frac", "double", "share of characters in repeated lines", "gopher_repetition"),
    *[(f"gopher_rep_top_{n}gram_char_frac", "double",
       f"share of characters covered by the most frequent word {n}-gram", "gopher_repetition")
      for n in TOP_NGRAM_SIZES],
    *[(f"gopher_rep_dup_{n}gram_char_frac", "double",
       f"share of characters covered by repeated word {n}-grams", "gopher_repetition") for n in DUP_NGRAM_SIZES],
    ("c4_n_lines", "int", "lines in the text", "c4"),
    ("c4_n_lines_kept", "int", "lines C4's line filters would keep", "c4"),
    ("c4_n_sentences", "int", "sentences in the lines C4 keeps", "c4"),
    ("c4_has_lorem_ipsum", "boolean", "the text contains 'lorem ipsum'", "c4"),
    ("c4_has_curly_bracket", "boolean", "the text contains '{' (code or templates)", "c4"),
    ("c4_lines_too_long_word", "int", "lines dropped for a word over 1000 characters", "c4"),
    ("c4_lines_no_terminal_punct", "int", "lines dropped for not ending in terminal punctuation", "c4"),
    ("c4_lines_too_few_words", "int", "lines dropped for having fewer than 3 words", "c4"),
    ("c4_lines_javascript", "int", "lines dropped for mentioning javascript", "c4"),
    ("c4_lines_policy", "int", "lines dropped for cookie/terms/privacy policy phrases", "c4"),
    ("fineweb_n_lines", "int", "non-empty lines", "fineweb"),
    ("fineweb_line_punct_frac", "double", "share of lines that end with terminal punctuation", "fineweb"),
    ("fineweb_short_line_frac", "double", "share of lines of at most 30 characters", "fineweb"),
    ("fineweb_dup_line_char_frac", "double", "share of characters in duplicated lines", "fineweb"),
    ("fineweb_newline_word_ratio", "double", "newlines per word (list-like pages)", "fineweb"),
]
# Stored twice: datatrove's English word splitting under the plain name, character splitting of scripts written
# without spaces under name + CHAR_WORDS_SUFFIX; gold reads the second for GoldConfig.char_word_languages.
WORD_SIGNALS: tuple[str, ...] = (
    "gopher_n_words", "gopher_mean_word_len", "gopher_hash_word_ratio", "gopher_ellipsis_word_ratio",
    "gopher_alpha_word_frac", "gopher_n_stop_words",
    *(f"gopher_rep_top_{n}gram_char_frac" for n in TOP_NGRAM_SIZES),
    *(f"gopher_rep_dup_{n}gram_char_frac" for n in DUP_NGRAM_SIZES),
    "c4_n_sentences", "fineweb_newline_word_ratio",
)
_quality_by_name = {name: (kind, text, family) for name, kind, text, family in _QUALITY_ROWS}
QUALITY_SIGNALS = tuple(Signal(name, kind, family, text) for name, kind, text, family in _QUALITY_ROWS) + tuple(
    Signal(name + CHAR_WORDS_SUFFIX, _quality_by_name[name][0], _quality_by_name[name][2],
           _quality_by_name[name][1] + ", with each Han/Kana character or Thai/Lao/Khmer cluster a word")
    for name in WORD_SIGNALS)

TOXICITY_SIGNALS = _signals("toxicity", [
    *[(f"tox_{d}", "int", f"lexicon weight of {d.replace('_', '/')} terms near a hostile cue (highest sentence)")
      for d in TOXICITY_DIMENSIONS],
    ("tox_total", "int", "sum of the tox_* dimension weights in the worst sentence"),
    ("tox_tier", "string", "lexicon tier of the worst sentence at the default tier scores: none, mild or toxic "
                           "(a label: gold's toxicity:tier_* rules threshold tox_total and tox_*)"),
]) + _signals("badwords", [
    ("obscenity_hits", "int", "LDNOOBW words of the document's language; null without a list for it"),
    ("obscenity_per_1k_words", "double", "obscenity_hits per 1000 words"),
    ("obscenity_word_ratio", "double", "obscenity_hits per word (the badwords rule's signal)"),
])

URL_SIGNALS = _signals("url", [
    ("url_scheme", "string", "URL scheme, lower case"),
    ("url_domain", "string", "registered domain (eTLD+1); the host for an IP address"),
    ("url_tld", "string", "last label of the host"),
    ("url_path_depth", "int", "non-empty path segments"),
    ("url_hard_banned_hits", "int", "URL tokens holding a hard-banned word (RefinedWeb), minus the allow-list"),
    ("url_soft_banned_hits", "int", "URL tokens that are a soft-banned word"),
    ("url_banned", "boolean", "RefinedWeb's verdict on words alone (>= 1 hard or >= 2 soft words; a label: gold's "
                              "url:banned_word rule thresholds the counts)"),
    ("url_blocklisted", "boolean", "the host or a parent domain is on a blocklist"),
    ("url_allowlisted", "boolean", "the host or a parent domain is on an allowlist"),
    ("url_blocklisted_effective", "boolean", "blocklisted and not allowlisted (the allowlist wins)"),
    ("url_banned_effective", "boolean", "banned by URL words and not allowlisted"),
])

MODEL_SIGNALS = _signals("toxicity", [
    ("tox_model_score", "double", "the toxicity classifier's highest probability over the text's windows (the "
     "bundled model by default); null when turned off"),
    *[(f"tox_model_{d}", "int", f"the bundled {d} model's level 0..3 (its highest probability over the text's "
       "windows, cut at points chosen on held-out data); null when the toxicity classifier is turned off")
      for d in TOXICITY_DIMENSIONS],
    ("tox_model_tier", "string", "none, mild or toxic: the lexicon's tier rule over the tox_model_ dimensions"),
])

EMBEDDING_MODEL_SIGNALS = _signals("toxicity", [
    ("tox_embed_score", "double", "P(toxic) of the text's first window from a logistic regression on its "
     "multilingual sentence embedding (USE multilingual v3; the bundled model by default); null when turned off or "
     "for an empty text"),
])

QUALITY_MODEL_SIGNALS = _signals("quality_model", [
    ("quality_model_score", "double",
     "the trained quality classifier's probability that the text is like the reference set; null without a model"),
])

# Kinds of personal data etl.silver.pii finds, in its search order; one count per kind, and their sum for the rule.
PII_KINDS = ("email", "iban", "card", "ip", "phone")
PII_SIGNALS = _signals("pii", [
    ("pii_email", "int", "e-mail addresses (reserved example domains and file names like logo@2x.png excluded)"),
    ("pii_iban", "int", "IBANs of the right length for their country with a valid mod-97 checksum"),
    ("pii_card", "int", "payment card numbers: an issuer prefix and a valid Luhn checksum"),
    ("pii_ip", "int", "public IPv4/IPv6 addresses (private, loopback, documentation, reserved ranges excluded)"),
    ("pii_phone", "int", "phone numbers: international (+ or 00) and national formats of ar, de, en, es, fr, ru, zh"),
    ("pii_total", "int", "sum of the pii_* counts: the pii rule's signal"),
])
PII_COUNT_COLUMNS = {kind: f"pii_{kind}" for kind in PII_KINDS}

# Code, math and Q&A subsets (RedStone's, on WET text): silver stores these counts (etl.silver.subsets), gold derives
# one flag per subset from them with the thresholds in SUBSETS below (docs/subsets.md).
SUBSET_SIGNALS = _signals("subsets", [
    ("math_latex_commands", "int", "distinct LaTeX math commands (\\frac, \\sum, \\int, \\alpha, ...) in the text"),
    ("math_symbol_density", "double", "math symbols (∑ ∫ √ ≤ ≥ ± ≠ ...), formula tokens (x^2, a_n) and worked "
                                      "arithmetic (3 + 4 = 7, 9 × 2 = 18) per 1,000 characters"),
    ("math_equation_lines", "int", "short lines (at most 120 characters) holding an equation: operand = operand"),
    ("code_lines", "int", "code-like lines: a statement of a common language (def, class, import, return, function, "
                          "var/const, #include, public static, SELECT ... FROM, ...), an assignment or call, a "
                          "trailing ';' '{' '}' next to code punctuation, or brackets alone"),
    ("code_line_frac", "double", "code_lines per non-empty line"),
    ("qa_question_lines", "int", "lines ending with a question mark (?, ؟ or ？)"),
    ("qa_answered_questions", "int", "question lines followed by a line of at least 40 characters that is not a "
                                     "question (an answer): FAQ and forum structure"),
    ("qa_marker_lines", "int", "lines opening with a question or answer label (Q:, A:, Question:, Answer:, and "
                               "the same words in ar, de, es, fr, ru, zh, pt, it, tr, ja, ko)"),
    ("qa_forum_words", "int", "Q&A-site vocabulary: 'asked 3 years ago', '5 answers', 'best answer', and the "
                              "equivalents in the same languages"),
])

# WebOrganizer's taxonomy (Wettig et al., 2025, "Organize the Web"): 24 topics and 24 formats, in their published
# order. Silver labels every document with one of each (etl.silver.scorers.DomainScorer, docs/labels.md).
DOMAIN_TOPICS = (
    "Adult", "Art & Design", "Software Development", "Crime & Law", "Education & Jobs", "Hardware", "Entertainment",
    "Social Life", "Fashion & Beauty", "Finance & Business", "Food & Dining", "Games", "Health", "History",
    "Home & Hobbies", "Industrial", "Literature", "Politics", "Religion", "Science & Technology", "Software",
    "Sports & Fitness", "Transportation", "Travel",
)
DOMAIN_FORMATS = (
    "Academic Writing", "Content Listing", "Creative Writing", "Customer Support", "Comment Section", "FAQ",
    "Truncated", "Knowledge Article", "Legal Notices", "Listicle", "News Article", "Nonfiction Writing",
    "About Page (Organization)", "News (Organization)", "About Page (Personal)", "Personal Blog", "Product Page",
    "Q&A Forum", "Spam / Ads", "Structured Data", "Documentation", "Audio Transcript", "Tutorial", "User Review",
)
DOMAIN_SIGNALS = _signals("domains", [
    ("topic", "string", "WebOrganizer topic (24 labels: docs/labels.md); null for an empty text"),
    ("topic_score", "double", "probability of the topic, 0..1"),
    ("format", "string", "WebOrganizer format (24 labels: docs/labels.md); null for an empty text"),
    ("format_score", "double", "probability of the format, 0..1"),
])

RUN_COLUMNS = _signals("run", [
    ("silver_run_id", "string", "the refresh that scored the row"),
    ("scored_at", "timestamp", "when the row was scored (UTC)"),
])

# What silver's fused Arrow pass computes (etl.silver.signals), after the document columns.
BUILTIN_SCORER_SIGNALS = LANGUAGE_SIGNALS + QUALITY_SIGNALS + TOXICITY_SIGNALS
SIGNALS: tuple[Signal, ...] = (DOCUMENT_COLUMNS + BUILTIN_SCORER_SIGNALS + URL_SIGNALS + MODEL_SIGNALS
                               + EMBEDDING_MODEL_SIGNALS + QUALITY_MODEL_SIGNALS + PII_SIGNALS + SUBSET_SIGNALS + DOMAIN_SIGNALS
                               + RUN_COLUMNS)
SIGNALS_BY_NAME = {signal.name: signal for signal in SIGNALS}
QUALITY_SIGNAL_TYPES: dict[str, str] = {signal.name: signal.type for signal in QUALITY_SIGNALS}

# Gold derives these columns from stored signals just before deciding (etl.gold.decisions) and drops them again.
DERIVED_SIGNALS = _signals("gold", [
    ("_language_missing", "boolean", "no language was detected"),
    ("_language_unwanted", "boolean", "the language is not one of silver.languages"),
    ("_tox_tier_score", "int", "the lexicon score of the worst sentence: tox_total, raised to the mild tier's score "
                               "when a tox_* dimension is at its maximum weight"),
    ("_url_banned_weight", "int", "RefinedWeb's banned URL words, weighted (hard-banned 2, soft-banned 1); 0 when "
                                  "the host is allowlisted"),
])

# --- rules: one row each, in evaluation order ---------------------------------------------------------------------
# Families run in the order they first appear here: cheap and decisive first, so the first rule that fires names the
# cheapest reason. The quality families follow datatrove 0.10's own check order with its default parameters, so the
# first rule that fires names the same reason datatrove would give. A row's dicts are its per-language defaults:
# ours (Gopher's stop words are English, so that rule is off for other languages; character words in
# NO_SPACE_LANGUAGES are single characters, so the minimum mean word length does not apply) and FineWeb2's, for the
# word-length, alpha-word, repetition and line thresholds datatrove's English defaults are too strict or too loose
# for (docs/language_thresholds.md). English is FineWeb, i.e. datatrove's defaults: no FineWeb2 value.

_NO_MIN_WORD_LENGTH = {lang: 0 for lang in NO_SPACE_LANGUAGES if lang not in FINEWEB2_SOURCES}

LANGUAGE_RULES = (
    Rule("language", "not_wanted", "_language_unwanted", "==", True,
         "the language is not one of silver.languages (only when that list is set)",
         enabled_by=("silver.languages", None)),
    Rule("language", "undetected", "_language_missing", "==", True, "no language was detected"),
    Rule("language", "low_score", "language_score", "<", 0.65, "langdetect is unsure",
         config_key="gold.min_language_score"),
)

URL_RULES = (
    Rule("url", "blocklisted_domain", "url_blocklisted_effective", "==", True, "the domain is blocklisted"),
    Rule("url", "banned_word", "_url_banned_weight", ">=", URL_BANNED_MIN_WEIGHT,
         "the URL holds banned words (one hard-banned or two soft-banned)"),
)

GOPHER_QUALITY_RULES = _rules("gopher_quality", [
    ("short_doc", "gopher_n_words", "<", 50, "fewer than 50 words"),
    ("long_doc", "gopher_n_words", ">", 100_000, "more than 100,000 words"),
    ("below_avg_word_len", "gopher_mean_word_len", "<", 3, "words too short on average",
     _NO_MIN_WORD_LENGTH, _fw2(ar=2, de=0, es=4, fr=2, ru=3, zh=1)),
    ("above_avg_word_len", "gopher_mean_word_len", ">", 10, "words too long on average",
     {}, _fw2(ar=9, de=15, es=14, fr=11, ru=11, zh=5)),
    ("too_many_hashes", "gopher_hash_word_ratio", ">", 0.1, "too many '#' per word"),
    ("too_many_ellipsis", "gopher_ellipsis_word_ratio", ">", 0.1, "too many ellipses per word"),
    ("too_many_bullets", "gopher_bullet_line_frac", ">", 0.9, "mostly bullet lines"),
    ("too_many_end_ellipsis", "gopher_ellipsis_line_frac", ">", 0.3, "many lines end with an ellipsis"),
    ("below_alpha_threshold", "gopher_alpha_word_frac", "<", 0.8, "too few words with letters",
     {}, _fw2(ar=0.787, de=0.774, es=0.825, fr=0.812, ru=0.713, zh=0.735)),
    ("few_stop_words", "gopher_n_stop_words", "<", 2, "too few English stop words",
     {ANY_LANGUAGE: 0, "en": 2}),
])

GOPHER_REPETITION_RULES = _rules("gopher_repetition", [
    ("empty", "n_chars", "<", 1, "no text"),
    ("dup_para_frac", "gopher_rep_dup_para_frac", ">", 0.3, "repeated paragraphs"),
    ("dup_para_char_frac", "gopher_rep_dup_para_char_frac", ">", 0.2, "characters in repeated paragraphs"),
    ("dup_line_frac", "gopher_rep_dup_line_frac", ">", 0.3, "repeated lines",
     {}, _fw2(ar=0.304, de=0.263, es=0.265, fr=0.264, ru=0.322, zh=0.287)),
    ("dup_line_char_frac", "gopher_rep_dup_line_char_frac", ">", 0.2, "characters in repeated lines"),
    ("top_2_gram", "gopher_rep_top_2gram_char_frac", ">", 0.2, "one 2-gram dominates",
     {}, _fw2(ar=0.197, de=0.169, es=0.077, fr=0.161, ru=0.184, zh=0.256)),
    ("top_3_gram", "gopher_rep_top_3gram_char_frac", ">", 0.18, "one 3-gram dominates",
     {}, _fw2(ar=0.172, de=0.153, es=0.097, fr=0.149, ru=0.164, zh=0.201)),
    ("top_4_gram", "gopher_rep_top_4gram_char_frac", ">", 0.16, "one 4-gram dominates",
     {}, _fw2(ar=0.146, de=0.137, es=0.112, fr=0.134, ru=0.146, zh=0.171)),
    ("duplicated_5_n_grams", "gopher_rep_dup_5gram_char_frac", ">", 0.15, "repeated 5-grams",
     {}, _fw2(ar=0.165, de=0.141, es=0.152, fr=0.15, ru=0.168, zh=0.198)),
    ("duplicated_6_n_grams", "gopher_rep_dup_6gram_char_frac", ">", 0.14, "repeated 6-grams",
     {}, _fw2(ar=0.153, de=0.134, es=0.137, fr=0.141, ru=0.156, zh=0.182)),
    ("duplicated_7_n_grams", "gopher_rep_dup_7gram_char_frac", ">", 0.13, "repeated 7-grams",
     {}, _fw2(ar=0.142, de=0.126, es=0.123, fr=0.131, ru=0.145, zh=0.167)),
    ("duplicated_8_n_grams", "gopher_rep_dup_8gram_char_frac", ">", 0.12, "repeated 8-grams",
     {}, _fw2(ar=0.131, de=0.117, es=0.114, fr=0.121, ru=0.133, zh=0.154)),
    ("duplicated_9_n_grams", "gopher_rep_dup_9gram_char_frac", ">", 0.11, "repeated 9-grams",
     {}, _fw2(ar=0.12, de=0.108, es=0.107, fr=0.111, ru=0.121, zh=0.14)),
    ("duplicated_10_n_grams", "gopher_rep_dup_10gram_char_frac", ">", 0.10, "repeated 10-grams",
     {}, _fw2(ar=0.109, de=0.098, es=0.099, fr=0.1, ru=0.109, zh=0.127)),
])

# datatrove stops at the first lorem-ipsum or curly-bracket line, whichever comes first in the text; both drop the
# document, so only the reported reason can differ when a document has both.
C4_RULES = _rules("c4", [
    ("lorem_ipsum", "c4_has_lorem_ipsum", "==", True, "placeholder text"),
    ("curly_bracket", "c4_has_curly_bracket", "==", True, "code or templates"),
    ("too_few_sentences", "c4_n_sentences", "<", 5, "fewer than 5 sentences in kept lines"),
])

FINEWEB_RULES = _rules("fineweb", [
    ("empty", "fineweb_n_lines", "<", 1, "no non-empty line"),
    ("line_punct_ratio", "fineweb_line_punct_frac", "<", 0.12, "few lines end with punctuation",
     {}, _fw2(ar=0.143, de=0.0, es=0.3, fr=0.1, ru=0.231, zh=0.106)),
    ("short_line_ratio", "fineweb_short_line_frac", ">", 0.67, "mostly short lines"),
    ("char_dup_ratio", "fineweb_dup_line_char_frac", ">", 0.01, "characters in duplicated lines"),
    ("list_ratio", "fineweb_newline_word_ratio", ">", 0.3, "list-like: many newlines per word",
     {}, _fw2(ar=0.189, de=0.152, es=0.171, fr=0.185, ru=0.139, zh=0.178)),
])

BADWORDS_RULES = (
    # Data-Juicer's default ratio; the raw count stays a signal (docs/toxicity.md).
    Rule("badwords", "ldnoobw_ratio", "obscenity_word_ratio", ">", 0.045, "too many obscene words per word",
         config_key="gold.max_badword_ratio"),
)

# A tier rule per droppable tier, worst first (a document at several tiers is named by its worst); each runs while
# gold.toxicity_drop_tiers lists its tier and drops from that tier's score up. The model rule's default threshold is
# the model's own (its thresholds file), or this one when the model has none.
TOXICITY_RULES = tuple(
    Rule("toxicity", f"tier_{tier}", "_tox_tier_score", ">=", TOXICITY_TIER_SCORES[tier],
         f"the lexicon tier is {tier} or worse", enabled_by=("gold.toxicity_drop_tiers", tier))
    for tier in reversed(TOXICITY_TIERS[1:])
) + (
    Rule("toxicity", "model_score", "tox_model_score", ">", 0.5, "the classifier finds it toxic",
         config_key="gold.max_model_toxicity"),
)

# Scores are stored; a threshold decides later: off (None) until the user sets gold.min_quality_score.
QUALITY_MODEL_RULES = (
    Rule("quality_model", "low_score", "quality_model_score", "<", None, "the quality classifier finds it unlike "
         "the reference text", config_key="gold.min_quality_score"),
)

# Counts are stored; gold.pii decides: "redact" (the default) rewrites gold's text, "drop" also enables this rule
# (Dolma's choice: more than 5 matches drops the document, fewer are redacted), "off" does neither.
PII_RULES = (
    Rule("pii", "too_many", "pii_total", ">", 5, "more than this many pieces of personal data (with gold.pii = drop)",
         config_key="gold.max_pii_count", enabled_by=("gold.pii", "drop")),
)

# Benchmarks bundled in etl/resources/benchmarks (PROVENANCE.md there): name -> (file, text fields). Documents
# sharing a word n-gram with one are dropped with reason "decontamination:<name>" (etl.gold.decontamination).
DECONTAMINATION_FAMILY = "decontamination"
BUNDLED_BENCHMARKS: dict[str, tuple[str, tuple[str, ...]]] = {
    "gsm8k": ("gsm8k_test.jsonl.gz", ("question", "answer")),
    "humaneval": ("humaneval.jsonl.gz", ("prompt", "canonical_solution")),
}

# datatrove's four families: the quality rules proper.
DEFAULT_RULES: tuple[Rule, ...] = GOPHER_QUALITY_RULES + GOPHER_REPETITION_RULES + C4_RULES + FINEWEB_RULES
FAMILIES: tuple[str, ...] = tuple(dict.fromkeys(rule.family for rule in DEFAULT_RULES))
# Every rule gold runs, in evaluation order.
RULES: tuple[Rule, ...] = (LANGUAGE_RULES + URL_RULES + DEFAULT_RULES + BADWORDS_RULES + TOXICITY_RULES
                           + QUALITY_MODEL_RULES + PII_RULES)


def family_order(rules: tuple[Rule, ...] | None = None) -> tuple[str, ...]:
    """Rule families in evaluation order (first appearance in ``rules``, default RULES as it is now), then
    decontamination, which gold runs as a join after the rules."""
    rows = RULES if rules is None else rules
    return (*dict.fromkeys(rule.family for rule in rows if rule.family != DECONTAMINATION_FAMILY),
            DECONTAMINATION_FAMILY)


def rules_by_key(rules: tuple[Rule, ...] | None = None) -> dict[str, Rule]:
    """``{"family:name": rule}`` of ``rules`` (default RULES as it is now)."""
    return {rule.key: rule for rule in (RULES if rules is None else rules)}


FAMILY_ORDER: tuple[str, ...] = family_order()
RULES_BY_KEY = rules_by_key()


# --- subsets: flags gold derives from stored signals (scores in silver, decisions in gold) -------------------------


@dataclass(frozen=True)
class Criterion:
    """One threshold of a subset: holds when ``signals[signal] <op> threshold``; a null signal never holds."""

    name: str
    signal: str
    op: str
    threshold: float | int

    def __post_init__(self) -> None:
        if self.op not in OPERATORS:
            raise ValueError(f"criterion {self.name}: unknown operator {self.op!r} (use one of {sorted(OPERATORS)})")


@dataclass(frozen=True)
class Subset:
    """A document subset gold flags in ``is_<name>``: true when every criterion of at least one clause holds.

    A criterion's threshold is overridden per run by ``gold.subset_thresholds["<subset>:<criterion>"]``; gold reads
    stored signals, so a new threshold needs a gold rebuild, never a silver one.
    """

    name: str
    description: str
    clauses: tuple[tuple[Criterion, ...], ...]

    @property
    def column(self) -> str:
        return f"is_{self.name}"

    def key(self, criterion: Criterion) -> str:
        """``subset:criterion``, the id gold.subset_thresholds uses."""
        return f"{self.name}:{criterion.name}"

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        return tuple(c for clause in self.clauses for c in clause)

    def threshold(self, criterion: Criterion, overrides=None):
        return (overrides or {}).get(self.key(criterion), criterion.threshold)

    def holds(self, signals, overrides=None) -> bool:
        """The flag for one document's signals (a dict): what gold computes as a column."""
        def ok(c: Criterion) -> bool:
            value = signals.get(c.signal)
            return value is not None and bool(OPERATORS[c.op](value, self.threshold(c, overrides)))
        return any(all(ok(c) for c in clause) for clause in self.clauses)

    def condition_text(self, overrides=None) -> str:
        """``a >= 3 or (b >= 5 and c >= 0.2)``, with the thresholds in force, for the report and the card."""
        parts = [" and ".join(f"{c.signal} {c.op} {self.threshold(c, overrides):g}" for c in clause)
                 for clause in self.clauses]
        return " or ".join(f"({p})" if len(clause) > 1 and len(parts) > 1 else p
                           for p, clause in zip(parts, self.clauses))


def _criteria(*rows) -> tuple[Criterion, ...]:
    return tuple(Criterion(*row) for row in rows)


# Thresholds chosen on the development documents only (docs/subsets.md); evals/subsets_eval.py measures them on a
# hand-labelled held-out set. A minimum number of lines or symbols keeps one stray match from flagging a page.
SUBSETS: tuple[Subset, ...] = (
    Subset("code", "source code: many code-like lines, and a large share of the page", (
        _criteria(("lines", "code_lines", ">=", 5), ("line_frac", "code_line_frac", ">=", 0.2)),
    )),
    Subset("math", "mathematics: LaTeX, formulas or worked equations", (
        _criteria(("latex_commands", "math_latex_commands", ">=", 3)),
        _criteria(("symbol_density", "math_symbol_density", ">=", 4.0), ("min_chars", "n_chars", ">=", 200)),
        _criteria(("equation_lines", "math_equation_lines", ">=", 3)),
    )),
    Subset("qa", "questions and answers: labelled Q/A pairs, or a Q&A forum thread", (
        _criteria(("marker_lines", "qa_marker_lines", ">=", 2)),
        _criteria(("answered_questions", "qa_answered_questions", ">=", 4)),
        _criteria(("question_lines", "qa_question_lines", ">=", 1), ("forum_words", "qa_forum_words", ">=", 2)),
    )),
)
SUBSETS_BY_NAME = {subset.name: subset for subset in SUBSETS}
SUBSET_CRITERIA = {subset.key(c): c for subset in SUBSETS for c in subset.criteria}


def column_comment(name: str) -> str | None:
    """The description of a silver/gold column, with the gold rules that read it (their default thresholds), for
    Delta column comments and the dataset card."""
    signal = SIGNALS_BY_NAME.get(name)
    if signal is not None:
        rules = [f"{r.key} {r.op} {r.threshold}" if r.threshold is not None else f"{r.key} (off by default)"
                 for r in RULES if name in (r.signal, r.signal + CHAR_WORDS_SUFFIX)]
        return signal.description + (f" [gold drops on {'; '.join(rules)}]" if rules else "")
    subset = next((s for s in SUBSETS if s.column == name), None)
    return f"in the {subset.name} subset: {subset.description} (etl.catalog.SUBSETS)" if subset else None
