"""Toxicity signals for silver: LDNOOBW obscenity counts and a Toxicity-of-the-Commons style lexicon score.

Scores only, no decisions (gold applies thresholds). Two signals per document:

* **Obscenity** (C4 / datatrove / RedPajama-V2 / Data-Juicer practice): hits of the LDNOOBW word lists in
  ``etl/resources/ldnoobw/`` (``obscenity_hits``, RedPajama-V2's ``rps_doc_ldnoobw_words``), the rate per 1,000
  words, and ``obscenity_word_ratio`` = hits / words (Data-Juicer's ``flagged_word_filter`` ratio; gold drops on
  this ratio, not on the raw count, so one stray word in a long article cannot drop it). A multi-word term is one
  hit. Terms match on word boundaries, except for zh/ja/th, which are written without spaces and match as
  substrings (as C4 and datatrove do); there every CJK character counts as a word, so the ratio is per character.
* **Toxicity lexicon** (Toxicity of the Commons / Celadon dimensions): ``race_origin``,
  ``gender_sex``, ``religion``, ``ability``, ``violence``, each 0..3 (0 none or objective mention,
  1 implied, 2 clear bias, 3 overt hatred or call to violence), from the per-language lexicons in
  ``etl/resources/toxicity/<lang>.tsv`` (format in that folder's README). A dimension's score is the
  highest weight of its terms found in the document (capped at 3), and, as an extension of plain
  term matching, a *hostility cue* (``hostility`` rows, or ``violence`` terms) found within
  ``CO_OCCURRENCE_WINDOW`` characters of a weight-0 group mention of a dimension raises that
  dimension to the cue's weight: "X are vermin" is hateful only because of who X is.
  Tiers, exactly as in the reference: ``toxic`` if total >= 7; ``mild`` if total is 4..6 or any
  dimension is 3; else ``none``. They are computed per bounded window (``sentence_windows``, at most
  ``WINDOW_MAX_CHARS`` characters, as the reference annotates chunks): ``tox_<dimension>`` is the maximum over
  windows, ``tox_total`` and ``tox_tier`` those of the worst window, so a long page of sentences that only
  mention groups cannot add up to ``toxic``.

Obscenity language choice: only the lists of the document's own language are counted (the bundled file plus any
registered with :func:`add_ldnoobw_files`). A language without a list, or an unknown language (``None``), gets
null obscenity columns, so no gold rule fires on them. Why not fall back as before (English list for a language
without one, every list for an unknown language): a word list is a statement about one language, and another
language's ordinary words collide with it (French "con" and "bite", Spanish "semen" in a Latin-script page, the
English list's "dick" in a Dutch name); the union of 28 lists used on unknown text flagged ordinary words of every
language at once. "Not measured" is the honest answer, and gold can still drop such pages on the language rules.
Empty or ``None`` text, or text without a letter or digit, scores 0 whatever the language (nothing to count).

Allow-lists (``etl/resources/ldnoobw_allow/<lang>``, plus :func:`add_ldnoobw_allow_files`): one entry a line,
``#`` comments, ``*`` at either end for an open end (as in the lexicons). An entry that is itself a list term
(``domination``) removes that term: it is not a hit. Any other entry is a phrase (``moby dick``, ``sex ratio``);
a hit lying wholly inside a match of an allowed phrase does not count. Allowed phrases are matched only in
documents that have hits, so clean text pays nothing for them.

Toxicity lexicon language choice (unchanged): a document's own lexicon; unknown language, or a language without a
lexicon, uses every lexicon.

Matching is on folded text (lower case, Arabic tatweel/diacritics/alef/yeh/teh-marbuta folds),
with terms folded the same way, so input need not be normalised first (silver passes normalised
text anyway). Lexicons and compiled matchers are built lazily, once per process.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib.abc import Traversable
from pathlib import Path

import pandas as pd

from etl import bundled
from etl.catalog import (
    ANY_LANGUAGE, NO_SPACE_LANGUAGES, TOXICITY_DIMENSIONS, TOXICITY_MAX_WEIGHT, TOXICITY_TIER_SCORES, TOXICITY_TIERS,
)
from etl.models.toxicity_datasets import Dataset, register as register_dataset
from etl.models.windows import WINDOW_PIECE
from etl.silver.langid import normalise_lang
from etl.silver.text_units import TERMINAL_PUNCTUATION

# Through importlib.resources, so the files are also found when `etl` is imported from a zip (spark-submit
# --py-files): a plain Path inside a zip cannot be opened. Installed or checked out, this is an ordinary Path.
LDNOOBW_DIR = bundled.resource(bundled.LDNOOBW)
LDNOOBW_ALLOW_DIR = bundled.resource(bundled.LDNOOBW_ALLOW)
LEXICON_DIR = bundled.resource(bundled.TOXICITY_LEXICON)
LDNOOBW_NON_LIST_SUFFIXES = (".md", ".txt")

DIMENSIONS = TOXICITY_DIMENSIONS
HOSTILITY = "hostility"
MAX_WEIGHT = TOXICITY_MAX_WEIGHT
MIN_TERM_WEIGHT = 0  # 0 = objective mention of a group (Celadon's scale)
# The tiers and their scores are the catalog's (gold's toxicity:tier_* rules threshold the same scores).
TIER_ORDER = TOXICITY_TIERS
TIER_NONE, TIER_MILD, TIER_TOXIC = TOXICITY_TIERS
MILD_MIN_TOTAL = TOXICITY_TIER_SCORES[TIER_MILD]
TOXIC_MIN_TOTAL = TOXICITY_TIER_SCORES[TIER_TOXIC]
# A cue counts for a group mention at most this many characters away (about one sentence):
# document-wide co-occurrence would pair a slur-free group mention with any unrelated "hate".
CO_OCCURRENCE_WINDOW = 100
ALL_LANGS = ANY_LANGUAGE  # the lexicon entries of every language
ALLOW_COMMENT = "#"
# Written without spaces between words: substring matching (C4 / datatrove convention).
NO_SPACE_LANGS = frozenset(NO_SPACE_LANGUAGES)
WORDS_PER_RATE = 1_000

OUTPUT_COLUMNS = (
    *(f"tox_{d}" for d in DIMENSIONS),
    "tox_total",
    "tox_tier",
    "obscenity_hits",
    "obscenity_per_1k_words",
    "obscenity_word_ratio",
)
# Column kinds (silver's schema reads these): the obscenity columns are null for a language without a list.
STRING_COLUMNS = ("tox_tier",)
FLOAT_COLUMNS = ("obscenity_per_1k_words", "obscenity_word_ratio")
NULLABLE_COLUMNS = ("obscenity_hits", *FLOAT_COLUMNS)

# The lexicon's windows are sentences (a sentence-final mark then a space, or a line break), each cut to
# WINDOW_MAX_CHARS: a lexicon only sees terms and their neighbours, and mentions of different groups in
# neighbouring sentences ("I love X. I hate Mondays.") must not add up. The classifier reads whole windows.
_SENTENCE_BREAK = re.compile("(?<=[" + re.escape("".join(sorted(TERMINAL_PUNCTUATION))) + "]) +|\n")


def sentence_windows(text: str | None) -> list[str]:
    """The lexicon's windows: sentences, a long one cut as ``text_windows`` cuts lines."""
    return [piece for sentence in _SENTENCE_BREAK.split(text or "") for piece in WINDOW_PIECE.findall(sentence)]


# --- matching -----------------------------------------------------------------------------------

# Word characters for boundary checks: \w plus the combining marks Python's \w misses
# (Latin combining diacritics, Indic vowel signs, Arabic harakat, Thai marks).
WORD_CLASS = r"[\w\u0300-\u036f\u0900-\u0dff\u064b-\u065f\u0670\u0e00-\u0e7f]"
LEFT_BOUNDARY = rf"(?<!{WORD_CLASS})"
RIGHT_BOUNDARY = rf"(?!{WORD_CLASS})"
STEM_CONTINUATION = rf"{WORD_CLASS}*"  # a term written "stem*" matches any word ending
SUBSTRING_END = ""

_ARABIC_FOLD = str.maketrans(
    {
        "\u0640": None,  # tatweel
        **{chr(cp): None for cp in range(0x064B, 0x0653)},  # harakat
        "\u0670": None,  # superscript alef
        "\u0623": "\u0627",
        "\u0625": "\u0627",
        "\u0622": "\u0627",
        "\u0671": "\u0627",
        "\u0649": "\u064a",  # alef maqsura -> yeh
        "\u0629": "\u0647",  # teh marbuta -> heh
    }
)
_ARABIC_RE = re.compile("[\u0600-\u06ff]")
_SPACE_RE = re.compile(r"\s+")
_WORD_CHAR_RE = re.compile(WORD_CLASS)
_CJK_CHAR_RE = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")


def fold_for_matching(text: str) -> str:
    """Lower case plus Arabic spelling folds; applied identically to terms and documents."""
    text = text.lower()
    if _ARABIC_RE.search(text):
        text = text.translate(_ARABIC_FOLD)
    return text


@dataclass(frozen=True)
class _Term:
    text: str  # folded literal
    payload: object
    left_bounded: bool = True
    right: str = RIGHT_BOUNDARY


def _render(node: dict) -> str:
    """Regex for a trie node; continuing characters come before term ends, so longest wins."""
    options = []
    for key in sorted(k for k in node if k is not None):
        char = r"\s+" if key == " " else re.escape(key)
        options.append(char + _render(node[key]))
    for right, name in sorted(node.get(None, {}).items(), key=lambda item: item[1]):
        options.append(f"(?P<{name}>){right}")
    return options[0] if len(options) == 1 else "(?:" + "|".join(options) + ")"


class _TrieMatcher:
    """All terms of a lexicon in one trie-shaped regex (Aho-Corasick-like: each char tried once).

    Every term ends in an empty named group, so ``match.lastgroup`` names the term directly.
    """

    def __init__(self, terms: Iterable[_Term]) -> None:
        self._payloads: dict[str, list[object]] = {}
        tries: dict[bool, dict] = {True: {}, False: {}}
        names: dict[tuple[bool, str, str], str] = {}
        for term in terms:
            literal = _SPACE_RE.sub(" ", term.text).strip()
            if not literal:
                continue
            key = (term.left_bounded, literal, term.right)
            if key not in names:
                names[key] = f"t{len(names)}"
                node = tries[term.left_bounded]
                for char in literal:
                    node = node.setdefault(char, {})
                node.setdefault(None, {})[term.right] = names[key]
                self._payloads[names[key]] = []
            self._payloads[names[key]].append(term.payload)
        self._patterns = [
            re.compile((LEFT_BOUNDARY if bounded else "") + _render(root))
            for bounded, root in tries.items()
            if root
        ]

    def finditer(self, folded: str) -> Iterator[tuple[int, list[object]]]:
        """(start, payloads) for each hit in folded text."""
        for pattern in self._patterns:
            for match in pattern.finditer(folded):
                yield match.start(), self._payloads[match.lastgroup]

    def spans(self, folded: str) -> list[tuple[int, int]]:
        """(start, end) of each hit in folded text, in text order."""
        return sorted(match.span() for pattern in self._patterns for match in pattern.finditer(folded))


def _term_for(literal: str, lang: str, payload: object, wildcards: bool) -> _Term:
    """A term with the boundary rules of its language; ``*`` at either end marks an open end."""
    folded = fold_for_matching(literal.strip())
    open_left = open_right = False
    if wildcards:
        open_left, open_right = folded.startswith("*"), folded.endswith("*")
        folded = folded.strip("*").strip()
    if lang in NO_SPACE_LANGS:
        return _Term(folded, payload, left_bounded=False, right=SUBSTRING_END)
    right = STEM_CONTINUATION if open_right else RIGHT_BOUNDARY
    return _Term(folded, payload, left_bounded=not open_left, right=right)


def _lang_key(name: str) -> str:
    """Canonical language of a resource file name (``fr-CA-u-sd-caqc`` -> ``fr``, ``kab`` stays)."""
    return normalise_lang(name) or name.lower()


# --- obscenity (LDNOOBW) ------------------------------------------------------------------------


_extra_ldnoobw: list[tuple[Path, str | None]] = []
_extra_allow: list[tuple[Path, str | None]] = []


def _list_entries(path: Traversable | Path) -> list[str]:
    """Non-blank lines of a word-list file, ``#`` comment lines skipped (LDNOOBW files have none)."""
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith(ALLOW_COMMENT)]


def _merged_lists(folder: Traversable, extra: list[tuple[Path, str | None]]) -> dict[str, tuple[str, ...]]:
    """Language -> entries of the bundled files in ``folder`` plus registered files (same language merged)."""
    files = [(p, None) for p in resource_files(folder) if not p.name.endswith(LDNOOBW_NON_LIST_SUFFIXES)]
    entries: dict[str, list[str]] = {}
    for path, lang in files + extra:
        entries.setdefault(_lang_key(lang or path.name), []).extend(_list_entries(path))
    return {lang: tuple(dict.fromkeys(words)) for lang, words in entries.items()}


@functools.cache
def _ldnoobw_terms() -> dict[str, tuple[str, ...]]:
    """Language -> LDNOOBW terms (files sharing a language, e.g. fr and fr-CA, are merged)."""
    return _merged_lists(LDNOOBW_DIR, _extra_ldnoobw)


@functools.cache
def _allow_entries() -> dict[str, tuple[str, ...]]:
    """Language -> allow-list entries (bundled ``ldnoobw_allow`` files plus registered ones)."""
    return _merged_lists(LDNOOBW_ALLOW_DIR, _extra_allow)


def ldnoobw_languages() -> tuple[str, ...]:
    """Languages with an LDNOOBW list (bundled plus registered): the only ones whose obscenity is counted."""
    return tuple(sorted(_ldnoobw_terms()))


def _register(target: list[tuple[Path, str | None]], paths: Iterable[str | Path], lang: str | None) -> None:
    new = [(Path(p), lang) for p in paths]
    for path, _ in new:
        _list_entries(path)  # fail early on a missing or undecodable file
    target.extend(new)
    _clear_obscenity_caches()


def add_ldnoobw_files(paths: Iterable[str | Path], lang: str | None = None) -> None:
    """Register extra obscenity word lists (one term a line; language = ``lang`` or the file name).

    Added to the bundled list of that language, or the first list of a language that has none. Per process, like
    :func:`add_lexicon_files`: call it where the Spark worker imports this module, or before the UDF is built.
    """
    _register(_extra_ldnoobw, paths, lang)


def add_ldnoobw_allow_files(paths: Iterable[str | Path], lang: str | None = None) -> None:
    """Register extra allow-lists (format in the module docstring; language = ``lang`` or the file name)."""
    _register(_extra_allow, paths, lang)


def clear_ldnoobw_files() -> None:
    """Forget lists registered with :func:`add_ldnoobw_files` / :func:`add_ldnoobw_allow_files`."""
    _extra_ldnoobw.clear()
    _extra_allow.clear()
    _clear_obscenity_caches()


def _clear_obscenity_caches() -> None:
    for cached in (_ldnoobw_terms, _allow_entries, _obscenity_matchers):
        cached.cache_clear()


@functools.cache
def _obscenity_matchers(lang: str) -> tuple[_TrieMatcher, _TrieMatcher | None]:
    """(list-term matcher without allow-listed words, allowed-phrase matcher or None) for a listed language."""
    listed = {fold_for_matching(w): w for w in _ldnoobw_terms()[lang]}
    allowed = [fold_for_matching(e) for e in _allow_entries().get(lang, ())]
    terms = [word for folded, word in listed.items() if folded not in allowed]
    phrases = [e for e in allowed if e not in listed]  # an allowed list term is simply left out of the matcher
    hits = _TrieMatcher(_term_for(word, lang, None, wildcards=False) for word in terms)
    allow = _TrieMatcher(_term_for(p, lang, None, wildcards=True) for p in phrases) if phrases else None
    return hits, allow


def _obscenity_lang(lang: str | None) -> str | None:
    """The list to count with: the document's own language's, or None (not measured)."""
    return lang if lang is not None and lang in _ldnoobw_terms() else None


def _union(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted spans merged where they overlap (two allowed phrases may share words)."""
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def obscenity_hits(folded: str, lang: str) -> int:
    """LDNOOBW hits of ``lang``'s list in folded text, minus allow-listed words and hits inside allowed phrases."""
    hits_matcher, allow_matcher = _obscenity_matchers(lang)
    hits = hits_matcher.spans(folded)
    if not hits or allow_matcher is None:
        return len(hits)
    allowed = _union(allow_matcher.spans(folded))
    starts = [start for start, _ in allowed]
    uncovered = 0
    for start, end in hits:
        i = bisect.bisect_right(starts, start) - 1
        uncovered += not (i >= 0 and allowed[i][1] >= end)
    return uncovered


def word_count(text: str) -> int:
    """Whitespace tokens plus CJK characters (each counts as a word: an upper bound for zh/ja)."""
    words = len(text.split())
    if not text.isascii():
        words += len(_CJK_CHAR_RE.findall(text))
    return words


# --- toxicity lexicons --------------------------------------------------------------------------


@dataclass(frozen=True)
class LexiconEntry:
    """One row of a lexicon file."""

    term: str
    dimension: str  # one of DIMENSIONS, or HOSTILITY
    weight: int
    lang: str


def parse_lexicon(text: str, lang: str, source: str = "<string>") -> list[LexiconEntry]:
    """Rows of a lexicon TSV (``term<TAB>dimension<TAB>weight``; ``#`` comments, blank lines skipped).

    Raises ``ValueError`` naming ``source`` and the line for a bad dimension or weight.
    """
    entries = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = [f.strip() for f in raw.split("\t")]
        if len(fields) < 3:
            raise ValueError(f"{source}:{number}: expected term<TAB>dimension<TAB>weight")
        term, dimension, weight_text = fields[0], fields[1].lower(), fields[2]
        if dimension not in DIMENSIONS and dimension != HOSTILITY:
            raise ValueError(f"{source}:{number}: unknown dimension {dimension!r}")
        try:
            weight = int(weight_text)
        except ValueError:
            raise ValueError(f"{source}:{number}: weight {weight_text!r} is not an integer") from None
        low = 1 if dimension in (HOSTILITY, "violence") else MIN_TERM_WEIGHT
        if not low <= weight <= MAX_WEIGHT:
            raise ValueError(f"{source}:{number}: weight {weight} outside {low}..{MAX_WEIGHT}")
        entries.append(LexiconEntry(term, dimension, weight, lang))
    return entries


def resource_files(folder: Traversable, suffix: str = "") -> list[Traversable]:
    """The files in a package folder (a directory, or a folder inside a zip) ending with ``suffix``, by name."""
    return sorted((p for p in folder.iterdir() if p.is_file() and p.name.endswith(suffix)), key=lambda p: p.name)


def load_lexicon_file(path: str | Path | Traversable, lang: str | None = None) -> list[LexiconEntry]:
    """Entries of one lexicon file; the language defaults to the file name (``de.tsv`` -> ``de``)."""
    if isinstance(path, str):
        path = Path(path)
    stem = path.name.rsplit(".", 1)[0]
    return parse_lexicon(path.read_text(encoding="utf-8"), _lang_key(lang or stem), source=str(path))


_extra_files: list[tuple[Path, str | None]] = []


def add_lexicon_files(paths: Iterable[str | Path], lang: str | None = None) -> None:
    """Register user lexicon files (added to the bundled ones) and rebuild matchers on next use.

    Call this in each Spark worker (e.g. at the top of the pandas UDF's module) or before the UDF
    is created, since the registry is per process.
    """
    new = [(Path(p), lang) for p in paths]
    for path, file_lang in new:
        load_lexicon_file(path, file_lang)  # fail early on a bad file
    _extra_files.extend(new)
    _lexicon_entries.cache_clear()
    _toxicity_matcher.cache_clear()


def clear_lexicon_files() -> None:
    """Forget files registered with :func:`add_lexicon_files` (back to the bundled lexicons)."""
    _extra_files.clear()
    _lexicon_entries.cache_clear()
    _toxicity_matcher.cache_clear()


@functools.cache
def _lexicon_entries() -> dict[str, tuple[LexiconEntry, ...]]:
    entries: dict[str, list[LexiconEntry]] = {}
    files = [(p, None) for p in resource_files(LEXICON_DIR, ".tsv")] + _extra_files
    for path, lang in files:
        for entry in load_lexicon_file(path, lang):
            entries.setdefault(entry.lang, []).append(entry)
    return {lang: tuple(rows) for lang, rows in entries.items()}


def lexicon_languages() -> tuple[str, ...]:
    """Languages with a toxicity lexicon (bundled plus registered)."""
    return tuple(sorted(_lexicon_entries()))


@functools.cache
def _toxicity_matcher(lang: str) -> _TrieMatcher:
    lexicons = _lexicon_entries()
    langs = sorted(lexicons) if lang == ALL_LANGS else [lang]
    return _TrieMatcher(
        _term_for(e.term, code, (e.dimension, e.weight), wildcards=True)
        for code in langs
        for e in lexicons[code]
    )


def _toxicity_lang(lang: str | None) -> str:
    return lang if lang is not None and lang in _lexicon_entries() else ALL_LANGS


def _dimension_scores(folded: str, lang: str | None) -> dict[str, int]:
    scores = dict.fromkeys(DIMENSIONS, 0)
    mentions: dict[str, list[int]] = {}
    cues: list[tuple[int, int]] = []
    for start, payloads in _toxicity_matcher(_toxicity_lang(lang)).finditer(folded):
        for dimension, weight in payloads:
            if dimension == HOSTILITY:
                cues.append((start, weight))
                continue
            scores[dimension] = max(scores[dimension], weight)
            if dimension == "violence":
                cues.append((start, weight))
            else:
                mentions.setdefault(dimension, []).append(start)
    for dimension, positions in mentions.items():
        near = [w for pos, w in cues if any(abs(pos - m) <= CO_OCCURRENCE_WINDOW for m in positions)]
        if near:
            scores[dimension] = max(scores[dimension], max(near))
    return {d: min(s, MAX_WEIGHT) for d, s in scores.items()}


def _window_scores(folded: str, lang: str | None) -> dict[str, int]:
    """Each dimension's maximum over the windows, and ``total`` and ``tier`` of the worst window (highest total).

    The tier of a document is the tier of its worst window, never of the document's sum: sentences that each
    mention a group without attacking it do not add up to ``toxic`` on a long page.
    """
    best = dict.fromkeys(DIMENSIONS, 0)
    worst_total, worst_tier = 0, TIER_NONE
    for window in sentence_windows(folded):
        scores = _dimension_scores(window, lang)
        for d in DIMENSIONS:
            best[d] = max(best[d], scores[d])
        tier = toxicity_tier(scores)
        if TIER_ORDER.index(tier) > TIER_ORDER.index(worst_tier):
            worst_tier = tier
        worst_total = max(worst_total, sum(scores.values()))
    return {**best, "total": worst_total, "tier": worst_tier}


def toxicity_tier(scores: dict[str, int]) -> str:
    """``toxic`` (total >= 7), ``mild`` (total 4..6 or any dimension at 3) or ``none``."""
    total = sum(scores.values())
    if total >= TOXIC_MIN_TOTAL:
        return TIER_TOXIC
    if total >= MILD_MIN_TOTAL or any(s >= MAX_WEIGHT for s in scores.values()):
        return TIER_MILD
    return TIER_NONE


# --- public API ---------------------------------------------------------------------------------


def _obscenity_columns(text: str | None, folded: str | None, lang: str | None) -> dict[str, object]:
    """The obscenity columns; null when ``lang`` has no list (see the module docstring)."""
    if folded is None or not _WORD_CHAR_RE.search(folded):  # no letters: nothing to count, in any language
        return {"obscenity_hits": 0, "obscenity_per_1k_words": 0.0, "obscenity_word_ratio": 0.0}
    list_lang = _obscenity_lang(lang)
    if list_lang is None:
        return dict.fromkeys(NULLABLE_COLUMNS)
    hits, words = obscenity_hits(folded, list_lang), word_count(text)
    ratio = hits / words if words else 0.0
    return {"obscenity_hits": hits, "obscenity_per_1k_words": ratio * WORDS_PER_RATE,
            "obscenity_word_ratio": ratio}


def score_document(text: str | None, lang: str | None = None) -> dict[str, object]:
    """All output columns for one document; ``None``/empty text scores zero (tier ``none``).

    The obscenity columns are None for a text with words whose language has no LDNOOBW list.
    """
    lang = normalise_lang(lang) if isinstance(lang, str) else None
    if not isinstance(text, str) or not text:
        scores = {**dict.fromkeys(DIMENSIONS, 0), "total": 0, "tier": TIER_NONE}
        folded = None
    else:
        folded = fold_for_matching(text)
        scores = _window_scores(folded, lang)
    row: dict[str, object] = {f"tox_{d}": scores[d] for d in DIMENSIONS}
    row["tox_total"] = scores["total"]
    row["tox_tier"] = scores["tier"]
    row.update(_obscenity_columns(text, folded, lang))
    return row


def score_toxicity_series(texts: pd.Series, langs: pd.Series | None = None) -> pd.DataFrame:
    """One row per text, columns ``OUTPUT_COLUMNS``, same index; ``langs`` aligned by position.

    ``tox_*`` integers are int32, ``tox_tier`` a non-null string; ``obscenity_hits`` is nullable Int32 and the
    other obscenity columns float64 (NaN = language without a list).
    """
    lang_values = [None] * len(texts) if langs is None else list(langs)
    if len(lang_values) != len(texts):
        raise ValueError(f"texts ({len(texts)}) and langs ({len(lang_values)}) differ in length")
    rows = [score_document(t, lang) for t, lang in zip(texts, lang_values)]
    frame = pd.DataFrame(rows, index=texts.index, columns=list(OUTPUT_COLUMNS))
    int_columns = [c for c in OUTPUT_COLUMNS if c not in (*STRING_COLUMNS, *NULLABLE_COLUMNS)]
    frame[int_columns] = frame[int_columns].astype("int32")
    frame["obscenity_hits"] = frame["obscenity_hits"].astype("Int32")
    frame[list(FLOAT_COLUMNS)] = frame[list(FLOAT_COLUMNS)].astype("float64")
    frame["tox_tier"] = frame["tox_tier"].astype(object)
    return frame


# --- the lexicon as training examples ------------------------------------------------------------

SEED_MIN_WEIGHT = 2  # lexicon weight 2 = clear bias (Celadon's scale); 1 = implied, too weak to label toxic


def lexicon_seed_examples(_folder: Path | None = None) -> pd.DataFrame:
    """The package's own word lists as short labelled examples (``text, label, language``), every language they cover.

    LDNOOBW terms and lexicon terms of weight >= ``SEED_MIN_WEIGHT`` are toxic; group mentions of weight 0
    ("immigrants", "muslims") are not, which teaches the model that naming a group is not hate. This gives a
    language with no labelled set (French, say) its vocabulary, at no cost to the languages that have one.
    """
    rows: list[tuple[str, int, str | None]] = []
    for path in resource_files(LDNOOBW_DIR):
        if not path.name.endswith(LDNOOBW_NON_LIST_SUFFIXES):
            lang = normalise_lang(path.name)
            rows += [(t.strip(), 1, lang) for t in path.read_text(encoding="utf-8").splitlines() if t.strip()]
    for path in resource_files(LEXICON_DIR, ".tsv"):
        for entry in load_lexicon_file(path):
            term = entry.term.strip("* ")
            if entry.weight >= SEED_MIN_WEIGHT:
                rows.append((term, 1, entry.lang))
            elif entry.weight == 0:
                rows.append((term, 0, entry.lang))
    return pd.DataFrame(rows, columns=["text", "label", "language"]).drop_duplicates(["text", "language"])


register_dataset(Dataset("lexicon_seeds", None, None, lexicon_seed_examples, real=False,
                         licence="the package's word lists (LDNOOBW: CC BY 4.0)"))
