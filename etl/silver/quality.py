"""Quality signals (silver): the numbers behind the Gopher, C4 and FineWeb rules, one column per signal.

Scores only, no decisions: `etl.gold.rules` compares these numbers with thresholds, so a new threshold never needs
a recompute. Each value is computed exactly the way datatrove 0.10's filter computes the quantity it compares
(same line splitting, same denominators, same float operations), so that a rule over the stored numbers keeps and
drops the same documents as the filter does. The tokenisation is done once per document and shared.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pandas as pd

try:  # pandas' hash table factorises a uint64 array at a third of pd.factorize's per-call overhead
    from pandas._libs.hashtable import UInt64HashTable
except ImportError:  # pragma: no cover - a pandas without it: the public, slower path
    UInt64HashTable = None

from etl.catalog import CHAR_WORDS_SUFFIX, DUP_NGRAM_SIZES, QUALITY_SIGNAL_TYPES, TOP_NGRAM_SIZES, WORD_SIGNALS
from etl.silver.text_units import (
    NO_SPACE_UNIT,
    SYMBOL_CHARS,
    TERMINAL_PUNCTUATION,
    count_sentences,
    split_line_runs,
    split_paragraphs,
    split_words,
)

# name -> Spark SQL type, in column order (etl.catalog: datatrove's order, then the *_charwords copies of
# WORD_SIGNALS, the same value with each Han/Kana character or Thai/Lao/Khmer cluster a word).
QUALITY_SIGNALS: dict[str, str] = QUALITY_SIGNAL_TYPES

_PANDAS_DTYPES = {"int": "int32", "double": "float64", "boolean": "bool"}
_EMPTY_VALUE = {"int": 0, "double": 0.0, "boolean": False}

# Gopher (Rae et al. 2021, table A1) stop words; a document needs a few to look like prose.
GOPHER_STOP_WORDS = frozenset(["the", "be", "to", "of", "and", "that", "have", "with"])
_SYMBOLS = "".join(SYMBOL_CHARS)
_BULLETS = ("•", "-")
_ELLIPSES = ("...", "…")

# C4 line rules (Raffel et al. 2020 and the TFDS c4_utils code datatrove follows).
C4_MAX_WORD_LEN = 1000
C4_MIN_WORDS_PER_LINE = 3
C4_END_PUNCTUATION = (".", "?", "!", '"', "'")
C4_CITATION = re.compile(r"\[\d*]|\[edit]|\[citation needed]")
C4_POLICY_PHRASES = ("terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies")
# C4's line-end test knows only ASCII marks, so every line of Chinese ("。"), Hindi ("।") or Arabic ("؟") text failed
# it and such documents had 0 sentences. Lines ending in any non-ASCII sentence terminator count as ended too; the
# ASCII set is datatrove's, so English lines are judged exactly as before.
C4_END_MARKS_NON_ASCII = frozenset(mark for mark in TERMINAL_PUNCTUATION if not mark.isascii())
# Closing quotes after a terminal mark in scripts without spaces (「……。」); only the *_charwords signals accept them,
# because datatrove rejects an English line ending in a curly quote and the plain signals keep its verdict.
C4_CLOSING_QUOTES_NO_SPACE = ("」", "』", "”", "’")

FINEWEB_SHORT_LINE_CHARS = 30  # a FineWeb "short line" has at most this many characters

# Odd 64-bit multiplier for rolling n-gram ids; collisions need ~2**32 distinct n-grams in one document.
_NGRAM_MIX = np.uint64(0x9E3779B97F4A7C15)


def quality_signals(text: str | None) -> dict:
    """All signals of one document; every key of QUALITY_SIGNALS is always present and nothing raises.

    Defined values: None, "" → counts 0, fractions 0.0, flags False (so gopher n_words < 50, n_chars < 1,
    c4 sentences < 5 and fineweb n_lines < 1 drop it in every family, as datatrove does). Whitespace-only or
    punctuation-only text → 0 Gopher words and mean word length 0.0; ratios whose denominator is zero are 0.0
    (a zero-word document is already dropped by the word-count rule that comes first). A 10 MB single line is
    processed like any other text (no per-character Python loop). Mixed scripts: the plain signals split words as
    datatrove's English tokenizer does; the ``*_charwords`` copies of WORD_SIGNALS make each Han/Kana character and
    each Thai/Lao/Khmer cluster a word (see text_units). Control characters follow Python's str.split/splitlines
    (\\x1c-\\x1f are whitespace/line breaks, as in datatrove). Lone surrogates are ordinary characters here.
    """
    if not text:
        return dict(_EMPTY_SIGNALS)
    try:
        out = _signals(text, split_no_space_scripts=False)
        if NO_SPACE_UNIT.search(text):
            by_char = _signals(text, split_no_space_scripts=True, word_signals_only=True)
            out.update({name + CHAR_WORDS_SUFFIX: by_char[name] for name in WORD_SIGNALS})
        else:  # nothing to split differently: the same words, so the same values
            out.update({name + CHAR_WORDS_SUFFIX: out[name] for name in WORD_SIGNALS})
        return out
    except Exception:  # a signal bug must not kill a Spark task: report the document as empty (dropped)
        return dict(_EMPTY_SIGNALS)


def with_char_words(signals: dict) -> dict:
    """The signals a rule sees for a language in `char_word_languages`: the ``*_charwords`` values in place."""
    return {**signals, **{name: signals[name + CHAR_WORDS_SUFFIX] for name in WORD_SIGNALS}}


def quality_signals_frame(texts: pd.Series) -> pd.DataFrame:
    """Signals for a batch of texts (the body of the pandas UDF): columns in QUALITY_SIGNALS order."""
    rows = [quality_signals(t if isinstance(t, str) else None) for t in texts]
    columns = {
        name: pd.Series([row[name] for row in rows], dtype=_PANDAS_DTYPES[kind], index=texts.index)
        for name, kind in QUALITY_SIGNALS.items()
    }
    return pd.DataFrame(columns, index=texts.index)


_EMPTY_SIGNALS = {name: _EMPTY_VALUE[kind] for name, kind in QUALITY_SIGNALS.items()}


def _signals(text: str, split_no_space_scripts: bool, word_signals_only: bool = False) -> dict:
    """The signals of one tokenisation; ``word_signals_only`` (the *_charwords pass) skips the line and paragraph
    signals, which do not depend on how words are split, and returns at least every WORD_SIGNALS key."""
    words = split_words(text, split_no_space_scripts)
    counts = Counter(words)  # distinct tokens in first-appearance order, shared by the Gopher signals
    out = {"n_chars": len(text)}
    out.update(_gopher_quality(text, words, counts, with_lines=not word_signals_only))
    if word_signals_only:
        out.update(_ngram_signals(words, len(text), counts))
        out["c4_n_sentences"] = _c4(text, split_no_space_scripts)["c4_n_sentences"]
        out["fineweb_newline_word_ratio"] = _ratio(text.count("\n"), len(words))
        return out
    out.update(_gopher_repetition(text, words, counts))
    out.update(_c4(text, split_no_space_scripts))
    out.update(_fineweb(text, len(words)))
    return out


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def _gopher_quality(text: str, words: list[str], counts: Counter, with_lines: bool = True) -> dict:
    n_tokens = len(words)
    n_words = word_chars = n_alpha = 0
    flags_of = _token_flags
    if len(flags_of) > _TOKEN_FLAGS_MAX:
        flags_of.clear()
    for word, count in counts.items():  # each distinct token once, weighted by its count
        flags = flags_of.get(word)
        if flags is None:
            flags = flags_of[word] = (bool(word.strip(_SYMBOLS)), _has_letter(word))
        if flags[0]:
            n_words += count
            word_chars += count * len(word)
        if flags[1]:
            n_alpha += count
    out = {
        "gopher_n_words": n_words,
        "gopher_mean_word_len": _ratio(word_chars, n_words),
        "gopher_hash_word_ratio": _ratio(text.count("#"), n_tokens),
        "gopher_ellipsis_word_ratio": _ratio(text.count("...") + text.count("…"), n_tokens),
    }
    if with_lines:  # keys in QUALITY_SIGNALS order
        lines = text.splitlines()
        bullets = sum(1 for line in lines if line.lstrip().startswith(_BULLETS))
        ellipsis_lines = sum(1 for line in lines if line.rstrip().endswith(_ELLIPSES))
        out["gopher_bullet_line_frac"] = _ratio(bullets, len(lines))
        out["gopher_ellipsis_line_frac"] = _ratio(ellipsis_lines, len(lines))
    out["gopher_alpha_word_frac"] = _ratio(n_alpha, n_tokens)
    out["gopher_n_stop_words"] = len(GOPHER_STOP_WORDS.intersection(counts))
    return out


_TOKEN_FLAGS_MAX = 500_000  # tokens remembered per worker process; cleared when full to bound memory
_token_flags: dict[str, tuple[bool, bool]] = {}  # token -> (has a non-symbol character, has a letter)


def _has_letter(word: str) -> bool:
    """At least one alphabetic character (str.isalpha), with a regex fast path for ASCII tokens."""
    if word.isascii():
        return _ASCII_LETTER.search(word) is not None
    return any(map(str.isalpha, word))


_ASCII_LETTER = re.compile(r"[A-Za-z]")


def _duplicates(items: list[str]) -> tuple[int, int]:
    """(elements seen before, their characters): every first occurrence is unique, the rest are duplicates."""
    unique = set(items)
    return len(items) - len(unique), sum(map(len, items)) - sum(map(len, unique))


def _gopher_repetition(text: str, words: list[str], counts: Counter | None = None) -> dict:
    n_chars = len(text)
    paragraphs = split_paragraphs(text)
    para_dups, para_dup_chars = _duplicates(paragraphs)
    lines = split_line_runs(text)
    line_dups, line_dup_chars = _duplicates(lines)
    out = {
        "gopher_rep_dup_para_frac": para_dups / len(paragraphs),
        "gopher_rep_dup_para_char_frac": para_dup_chars / n_chars,
        "gopher_rep_dup_line_frac": line_dups / len(lines),
        "gopher_rep_dup_line_char_frac": line_dup_chars / n_chars,
    }
    out.update(_ngram_signals(words, n_chars, counts))
    return out


def _factorize(values: np.ndarray) -> np.ndarray:
    """Codes numbered by first appearance (pd.factorize's), through pandas' hash table directly when it has one."""
    if UInt64HashTable is None:
        return pd.factorize(values, sort=False)[0]
    return UInt64HashTable(len(values)).factorize(values)[1]


def _ngram_signals(words: list[str], n_chars: int, counts: Counter | None = None) -> dict:
    """Top n-gram and duplicated n-gram character fractions over word n-grams, with integer n-gram ids.

    Word ids are the first-appearance ranks of the distinct words (``counts`` keeps that order), the codes
    pd.factorize gives. Once no n-gram repeats, no longer one can either, so the remaining fractions stay 0.
    """
    out = {f"gopher_rep_top_{n}gram_char_frac": 0.0 for n in TOP_NGRAM_SIZES}
    out.update({f"gopher_rep_dup_{n}gram_char_frac": 0.0 for n in DUP_NGRAM_SIZES})
    n_words = len(words)
    if n_words < min(TOP_NGRAM_SIZES):
        return out
    if counts is None:
        counts = Counter(words)
    rank = dict(zip(counts, range(1, len(counts) + 1)))
    ids = np.fromiter(map(rank.__getitem__, words), dtype=np.uint64, count=n_words)
    lengths = np.fromiter(map(len, words), dtype=np.int64, count=n_words)
    cum = np.concatenate(([0], np.cumsum(lengths)))
    hashes = ids.copy()
    for n in range(2, max(DUP_NGRAM_SIZES) + 1):
        if n_words < n:
            break
        with np.errstate(over="ignore"):
            hashes = hashes[:-1] * _NGRAM_MIX + ids[n - 1 :]
        window_chars = cum[n:] - cum[:-n]  # characters of each n-gram without separators
        if n in TOP_NGRAM_SIZES:
            out[f"gopher_rep_top_{n}gram_char_frac"] = _top_ngram_chars(hashes, window_chars, n) / n_chars
        else:
            repeated = _greedy_dup_chars(hashes, window_chars, n)
            if repeated is None:
                break  # no repeated n-gram: none of the longer ones repeats either
            out[f"gopher_rep_dup_{n}gram_char_frac"] = repeated / n_chars
    return out


def _top_ngram_chars(hashes: np.ndarray, window_chars: np.ndarray, n: int) -> int:
    """Characters covered by the most frequent n-gram (the first seen among ties), spaces between words included."""
    codes = _factorize(hashes)  # codes follow first appearance, like a Counter's insertion order
    counts = np.bincount(codes)
    top = int(np.argmax(counts))
    first = int(np.argmax(codes == top))
    return (int(window_chars[first]) + n - 1) * int(counts[top])


def _greedy_dup_chars(hashes: np.ndarray, window_chars: np.ndarray, n: int) -> int | None:
    """Characters in n-grams that repeat an earlier one, scanning left to right and jumping past each repeat;
    None when no n-gram repeats at all."""
    codes = _factorize(hashes)
    # codes are numbered by first appearance, so an n-gram is new exactly when its code exceeds all before it
    running_max = np.maximum.accumulate(codes)
    first_seen = np.empty(len(codes), dtype=bool)
    first_seen[0] = True
    first_seen[1:] = codes[1:] > running_max[:-1]
    if first_seen.all():
        return None
    start = int(np.argmin(first_seen))  # before the first repeat every n-gram is simply remembered
    seen = set(codes[:start].tolist())
    # An n-gram that occurs once in the document is never found in `seen` and causes no jump, so the scan visits
    # only the positions of n-grams that occur more than once (the same result as stepping through every one).
    occurs = np.bincount(codes)
    candidates = np.flatnonzero(occurs[codes[start:]] > 1) + start
    codes_list = codes[candidates].tolist()
    chars = window_chars[candidates].tolist()
    repeated, next_idx = 0, start
    for idx, code, size in zip(candidates.tolist(), codes_list, chars):
        if idx < next_idx:
            continue  # inside the n-gram just counted
        if code in seen:
            repeated += size
            next_idx = idx + n
        else:
            seen.add(code)
    return repeated


def _c4(text: str, split_no_space_scripts: bool) -> dict:
    lines = text.splitlines()
    counts = {"too_long_word": 0, "no_terminal_punct": 0, "too_few_words": 0, "javascript": 0, "policy": 0}
    has_lorem = has_curly = False
    kept = sentences = 0
    for raw in lines:
        line = stripped = raw.strip()
        # a word longer than C4_MAX_WORD_LEN needs a longer line, so shorter lines skip the word split here
        if len(line) > C4_MAX_WORD_LEN and any(
                len(word) > C4_MAX_WORD_LEN for word in _c4_line_words(line, split_no_space_scripts)):
            counts["too_long_word"] += 1
            continue
        if "[" in line:
            line = C4_CITATION.sub("", line)
        if not _c4_line_ended(line, split_no_space_scripts):
            counts["no_terminal_punct"] += 1
            continue
        if len(_c4_line_words(stripped, split_no_space_scripts)) < C4_MIN_WORDS_PER_LINE:
            counts["too_few_words"] += 1
            continue
        lower = line.lower()
        if "lorem ipsum" in lower:
            has_lorem = True  # drops the whole document
            continue
        if "javascript" in lower:
            counts["javascript"] += 1
            continue
        if "{" in line:
            has_curly = True  # drops the whole document
            continue
        if any(phrase in lower for phrase in C4_POLICY_PHRASES):
            counts["policy"] += 1
            continue
        kept += 1
        sentences += count_sentences(line, split_no_space_scripts)
    return {
        "c4_n_lines": len(lines),
        "c4_n_lines_kept": kept,
        "c4_n_sentences": sentences,
        "c4_has_lorem_ipsum": has_lorem,
        "c4_has_curly_bracket": has_curly,
        **{f"c4_lines_{reason}": n for reason, n in counts.items()},
    }


def _c4_line_words(line: str, split_no_space_scripts: bool) -> list[str]:
    """C4's words of a line: whitespace chunks (datatrove); with ``split_no_space_scripts`` each Han/Kana character
    and Thai/Lao/Khmer cluster is a word too, so a Chinese line is not one "word" that is too few or too long."""
    if not split_no_space_scripts or not NO_SPACE_UNIT.search(line):
        return line.split()
    return NO_SPACE_UNIT.findall(line) + NO_SPACE_UNIT.sub(" ", line).split()


def _c4_line_ended(line: str, split_no_space_scripts: bool) -> bool:
    """C4's "line ends in terminal punctuation", for every script (an ellipsis is not an end)."""
    if not line or line.endswith("..."):
        return False
    if line.endswith(C4_END_PUNCTUATION) or line[-1] in C4_END_MARKS_NON_ASCII:
        return True
    return (split_no_space_scripts and line.endswith(C4_CLOSING_QUOTES_NO_SPACE)
            and line.rstrip("".join(C4_CLOSING_QUOTES_NO_SPACE))[-1:] in TERMINAL_PUNCTUATION)


def _fineweb(text: str, n_tokens: int) -> dict:
    lines = [line for line in text.split("\n") if line.strip()]
    if not lines:
        return {"fineweb_n_lines": 0, "fineweb_line_punct_frac": 0.0, "fineweb_short_line_frac": 0.0,
                "fineweb_dup_line_char_frac": 0.0, "fineweb_newline_word_ratio": 0.0}
    n_lines = len(lines)
    terminal = TERMINAL_PUNCTUATION
    ends_punct = sum(1 for line in lines if line[-1] in terminal)  # every terminal mark is a single character
    short = sum(1 for line in lines if len(line) <= FINEWEB_SHORT_LINE_CHARS)
    newlines = text.count("\n")
    return {
        "fineweb_n_lines": n_lines,
        "fineweb_line_punct_frac": ends_punct / n_lines,
        "fineweb_short_line_frac": short / n_lines,
        "fineweb_dup_line_char_frac": _ratio(_duplicates(lines)[1], len(text) - newlines),
        "fineweb_newline_word_ratio": _ratio(newlines, n_tokens),
    }
