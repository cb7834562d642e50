"""Text normalisation for silver: one deterministic, idempotent clean-up applied to every document.

The output feeds language id, quality signals, toxicity and dedup, so it must be cheap, stable
(``normalize_text(normalize_text(x)) == normalize_text(x)``) and must keep line structure, which
the Gopher/C4/FineWeb line signals depend on.

Steps, in order (each one can be switched off in :class:`NormalizeOptions`):

1. Lone surrogates (from ``surrogateescape`` decoding) become U+FFFD, so the text is valid UTF-8.
2. Line breaks are unified: ``\\r\\n``, ``\\r``, ``\\v``, ``\\f``, NEL, U+2028/U+2029 become ``\\n``.
3. ``strip_control``: C0/C1 control characters (except ``\\n`` and ``\\t``) and invisible format
   characters that break word matching (soft hyphen, BOM, zero-width space, word joiner, bidi
   marks/embeddings/isolates) are deleted. ZWJ and ZWNJ are kept: they change spelling in Persian,
   Indic scripts and emoji sequences.
4. ``nfkc``: NFKC "where safe". NFKC is applied everywhere except on three groups of characters,
   which keep their NFC form:

   * full-width ASCII punctuation (U+FF01-FF0F, FF1A-FF20, FF3B-FF40, FF5B-FF60): Chinese and
     Japanese typography uses ``，！？：；（）`` as the native forms; NFKC would turn Chinese text into
     a mix of ideographs and ASCII commas. Full-width letters and digits *are* folded to ASCII,
     and half-width katakana and half-width CJK punctuation are folded to their normal forms.
   * superscripts and subscripts (``<super>``/``<sub>``: ``m²``, ``H₂O``, Spanish ordinals ``1º``):
     NFKC would turn ``10²`` into ``102``, which changes the meaning.
   * vulgar fractions (``<fraction>``: ``½``): NFKC gives ``1⁄2`` with a fraction slash, which
     reads as "12" to most tokenizers.

   Everything else is folded, on purpose: Latin ligatures (``ﬁ`` -> ``fi``, common in PDF-derived
   pages), Arabic presentation forms and word ligatures (``ﷲ`` -> ``الله``), NBSP and the other
   typographic spaces, the ellipsis ``…`` -> ``...``, mathematical alphanumerics.
5. Arabic script (applies to any Arabic-script text: Arabic, Persian, Urdu):

   * ``arabic_remove_tatweel``: the elongation character U+0640 is deleted.
   * ``arabic_remove_diacritics``: every nonspacing mark of the Arabic block U+0600-06FF is deleted:
     harakat U+064B-0652 (fathatan ... sukun), the superscript (dagger) alef U+0670 (it is a
     vocalisation mark, and common Arabic NLP tools such as CAMeL Tools remove it with the
     harakat), the other vowel marks U+0656-065F and the Quranic annotation marks U+0610-061A,
     U+06D6-06ED. Kept: maddah and hamza above/below (U+0653-0655), which are part of a letter's
     spelling; NFC composes them with their alef/waw/yeh anyway.
   * ``arabic_unify_alef``: ``أ إ آ ٱ`` -> ``ا``.
   * ``arabic_alef_maqsura_to_yeh`` (off by default): ``ى`` -> ``ي``.
   * ``arabic_teh_marbuta_to_heh`` (off by default): ``ة`` -> ``ه``. Both are lossy and only useful
     for matching, so they are opt-in.
6. ``digits_to_ascii``: Arabic-Indic (U+0660-0669) and Extended Arabic-Indic / Persian
   (U+06F0-06F9) digits become ``0-9``; the Arabic decimal and thousands separators and percent
   sign (U+066B, U+066C, U+066A) become ``. , %`` so numbers stay numbers. Other scripts' digits
   (e.g. Devanagari) are left alone.
7. ``collapse_whitespace``: within a line, runs of spaces/tabs (and any other horizontal
   whitespace) become one space and lines are stripped at both ends; runs of blank lines become a
   single blank line (``\\n\\n``), so paragraph boundaries (``\\n{2,}``, used by Gopher repetition)
   survive but empty padding does not; leading/trailing blank lines of the document are removed.
8. ``max_repeated_punct``: a run of the same punctuation character longer than N is cut to N
   (``!!!!!!`` -> ``!!!``, ``........`` -> ``...``). Only Unicode punctuation (P*) and ASCII symbols
   (``$+<=>^`|~``) are cut; emoji and other symbols are left as written. ``0`` disables the step.

Idempotence: deleting characters (tatweel, marks, controls) can make a base letter and a
combining mark adjacent, which NFC would compose on a second pass. Such text is rare, so after
the character steps a cheap ``is_normalized`` check decides whether a short NFC fix-up loop runs.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import pandas as pd

from etl.config import NormalizeOptions

REPLACEMENT_CHAR = "\ufffd"
UNICODE_MAX = 0x110000
BMP_MAX = 0xFFFF
HIGHEST_SPACE = 0x3000  # U+3000 IDEOGRAPHIC SPACE is the last code point with str.isspace()
# Compatibility decomposition tags whose NFKC folding changes meaning (see module docstring).
UNSAFE_NFKC_TAGS = ("<super>", "<sub>", "<fraction>")
# Full-width ASCII punctuation blocks kept as written (native CJK punctuation).
FULLWIDTH_PUNCT_RANGES = ((0xFF01, 0xFF0F), (0xFF1A, 0xFF20), (0xFF3B, 0xFF40), (0xFF5B, 0xFF60))
# Bounded: each fix-up round can only compose or delete, so text settles in one or two rounds.
MAX_FIXUP_ROUNDS = 8

TATWEEL = "\u0640"
ARABIC_BLOCK = (0x0600, 0x06FF)
# Maddah and hamza above/below: spelling, not vocalisation (composed into أ إ آ ؤ ئ by NFC).
ARABIC_MARKS_KEPT = frozenset("\u0653\u0654\u0655")
ALEF_VARIANTS = "\u0623\u0625\u0622\u0671"  # أ إ آ ٱ
ALEF = "\u0627"
ALEF_MAQSURA, YEH = "\u0649", "\u064a"
TEH_MARBUTA, HEH = "\u0629", "\u0647"
ARABIC_INDIC_DIGITS = "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669"
PERSIAN_DIGITS = "\u06f0\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6\u06f7\u06f8\u06f9"
ARABIC_NUMBER_PUNCT = {"\u066b": ".", "\u066c": ",", "\u066a": "%"}

# Invisible format characters that split words without being seen (ZWJ/ZWNJ deliberately absent).
FORMAT_CHARS_DELETED = (
    "\u00ad"  # soft hyphen
    "\u061c"  # Arabic letter mark
    "\u180e"  # Mongolian vowel separator (formerly a space)
    "\u200b"  # zero-width space
    "\u200e\u200f"  # LRM, RLM
    "\u202a\u202b\u202c\u202d\u202e"  # bidi embeddings and overrides
    "\u2060\u2061\u2062\u2063\u2064"  # word joiner, invisible operators
    "\u2066\u2067\u2068\u2069"  # bidi isolates
    "\ufeff"  # BOM / zero-width no-break space
)
ASCII_SYMBOLS_COLLAPSED = frozenset("$+<=>^`|~")

_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_NEWLINE_RE = re.compile("\r\n?|[\v\f\x85\u2028\u2029]")
_CONTROL_RE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f" + re.escape(FORMAT_CHARS_DELETED) + "]"
)
# Whitespace other than newline, as an explicit class: `[^\S\n]` is several times slower.
_HSPACE_RE = re.compile(
    "[" + re.escape("".join(chr(cp) for cp in range(HIGHEST_SPACE + 1) if chr(cp).isspace() and cp != 10)) + "]+"
)
_EDGE_SPACE_RE = re.compile(r" *\n *")
_BLANK_LINES_RE = re.compile(r"\n{3,}")
_ARABIC_RE = re.compile("[\u0600-\u06ff]")
# Runs of Arabic-block characters (with the spaces between words, so a line is one run): the only text that the
# per-character table, whose keys are all in the Arabic block, can change.
_ARABIC_RUN_RE = re.compile("[\u0600-\u06ff][\u0600-\u06ff \t]*")
_REPEAT_RE = re.compile(r"([^\w\s])\1+")


# The options live in config (a lower layer), which validates silver.normalize against them.
DEFAULT_OPTIONS = NormalizeOptions()


@functools.cache
def _nfkc_excluded_re() -> re.Pattern[str]:
    """Character class of the code points NFKC must not touch (built once: ~0.2 s scan)."""
    excluded = [
        chr(cp)
        for cp in range(UNICODE_MAX)
        if unicodedata.decomposition(chr(cp)).startswith(UNSAFE_NFKC_TAGS)
    ]
    for lo, hi in FULLWIDTH_PUNCT_RANGES:
        excluded.extend(chr(cp) for cp in range(lo, hi + 1))
    bmp = "".join(ch for ch in excluded if ord(ch) <= BMP_MAX)
    astral = "".join(ch for ch in excluded if ord(ch) > BMP_MAX)
    # A character class with astral code points is matched by a linear scan in `re`; BMP-only
    # classes get a lookup table. So the few astral ones sit behind a cheap range check (8x faster).
    return re.compile(
        f"([{re.escape(bmp)}]|(?=[\U00010000-\U0010ffff])[{re.escape(astral)}])"
    )


def _nfkc_safe(text: str) -> str:
    """NFKC except for the excluded characters, which are cut out, NFC-normalised and kept."""
    if unicodedata.is_normalized("NFKC", text):
        return text
    parts = _nfkc_excluded_re().split(text)
    if len(parts) == 1:
        return unicodedata.normalize("NFKC", text)
    # split() with a capturing group alternates normal text (even) and excluded chars (odd).
    return "".join(
        unicodedata.normalize("NFKC" if i % 2 == 0 else "NFC", part) for i, part in enumerate(parts)
    )


@functools.cache
def _char_table(opts: NormalizeOptions) -> dict[int, str | None]:
    """One str.translate table for all per-character Arabic and digit rules of ``opts``."""
    table: dict[int, str | None] = {}
    if opts.arabic_remove_tatweel:
        table[ord(TATWEEL)] = None
    if opts.arabic_remove_diacritics:
        for cp in range(ARABIC_BLOCK[0], ARABIC_BLOCK[1] + 1):
            ch = chr(cp)
            if unicodedata.category(ch) == "Mn" and ch not in ARABIC_MARKS_KEPT:
                table[cp] = None
    if opts.arabic_unify_alef:
        table.update({ord(ch): ALEF for ch in ALEF_VARIANTS})
    if opts.arabic_alef_maqsura_to_yeh:
        table[ord(ALEF_MAQSURA)] = YEH
    if opts.arabic_teh_marbuta_to_heh:
        table[ord(TEH_MARBUTA)] = HEH
    if opts.digits_to_ascii:
        for i, (arabic, persian) in enumerate(zip(ARABIC_INDIC_DIGITS, PERSIAN_DIGITS)):
            table[ord(arabic)] = table[ord(persian)] = str(i)
        table.update({ord(ch): repl for ch, repl in ARABIC_NUMBER_PUNCT.items()})
    assert all(ARABIC_BLOCK[0] <= cp <= ARABIC_BLOCK[1] for cp in table), "_translate_arabic needs Arabic-block keys"
    return table


def _translate_arabic(text: str, table: dict[int, str | None]) -> str:
    """``text.translate(table)`` applied to the Arabic runs only: translate looks up every character in a dict, which
    costs more than finding the runs when most of a document is in another script."""
    return _ARABIC_RUN_RE.sub(lambda m: m.group().translate(table), text)


def _collapse_punct(match: re.Match[str], limit: int) -> str:
    run = match.group(0)
    ch = match.group(1)
    if len(run) <= limit:
        return run
    if unicodedata.category(ch).startswith("P") or ch in ASCII_SYMBOLS_COLLAPSED:
        return ch * limit
    return run


def _collapse_whitespace(text: str) -> str:
    text = _HSPACE_RE.sub(" ", text)
    text = _EDGE_SPACE_RE.sub("\n", text)
    text = _BLANK_LINES_RE.sub("\n\n", text)
    return text.strip(" \n")


def normalize_text(text: str | None, opts: NormalizeOptions = DEFAULT_OPTIONS) -> str | None:
    """Normalise one document (see the module docstring); ``None`` stays ``None``, ``""`` stays ``""``."""
    if text is None or not isinstance(text, str):
        return None  # None, and the float NaN pandas uses for missing values
    if not text:
        return text
    ascii_only = text.isascii()
    if not ascii_only and _SURROGATE_RE.search(text):
        text = _SURROGATE_RE.sub(REPLACEMENT_CHAR, text)
    # Unconditional: \r-only line endings would otherwise glue lines together.
    text = _NEWLINE_RE.sub("\n", text)
    if opts.strip_control:
        text = _CONTROL_RE.sub("", text)
    if not ascii_only:
        if opts.nfkc:
            text = _nfkc_safe(text)
        table = _char_table(opts)
        if table and _ARABIC_RE.search(text):
            text = _translate_arabic(text, table)
        # Deletions above can leave base + combining mark side by side; settle them now.
        rounds = 0
        while (
            opts.nfkc and rounds < MAX_FIXUP_ROUNDS and not unicodedata.is_normalized("NFC", text)
        ):
            text = unicodedata.normalize("NFC", text)
            if table:
                text = _translate_arabic(text, table)
            rounds += 1
    if opts.collapse_whitespace:
        text = _collapse_whitespace(text)
    if opts.max_repeated_punct:
        limit = opts.max_repeated_punct
        text = _REPEAT_RE.sub(lambda m: _collapse_punct(m, limit), text)
    return text


def normalize_series(texts: pd.Series, opts: NormalizeOptions = DEFAULT_OPTIONS) -> pd.Series:
    """Vectorised wrapper for pandas UDFs: same index, object dtype, missing values -> ``None``."""
    return pd.Series([normalize_text(t, opts) for t in texts], index=texts.index, dtype=object)
