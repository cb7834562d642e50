"""Word, line, paragraph and sentence splitting shared by every quality signal.

Why a tokenizer of our own: datatrove 0.10 (the reference for our rules) splits English words with spaCy's blank
English tokenizer and counts C4 sentences with spaCy's rule-based sentencizer. Shipping spaCy to every Spark worker
is heavy, so this module re-implements the same *rules* with `re` and plain string tests:

* words: split on Unicode whitespace, then peel punctuation off each chunk the way spaCy does (prefixes such as
  ``( " $ …``, suffixes such as ``. , ! ) 's`` or units after a number, infixes such as the hyphen in ``e-mail`` or the
  slash in ``and/or``), keep URLs whole, and expand a small table of English contractions (``don't`` → ``do n't``)
  and abbreviations (``Mr.`` stays one token). Chunks are cached, so a word seen before costs one dict lookup.
* scripts written without spaces: each Han ideograph and each Kana character becomes its own word (a character
  is the smallest unit that carries meaning there, and it needs no dictionary); Thai, Lao and Khmer are split per
  grapheme cluster (a base letter plus its combining vowel and tone marks), a dictionary-free stand-in for syllables.
  Hangul is written with spaces and needs nothing special. This is where we knowingly differ from datatrove's
  English mode, which leaves a whole run of Han characters as one "word".
* sentences: spaCy's sentencizer rule: a sentence ends after a token that is a sentence-final mark (``.``, ``!``,
  ``?``, ``。`` ...) once the next token that is not punctuation starts. Because it works on tokens, ``Mr.``,
  ``U.S.`` and ``...`` do not end a sentence.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import lru_cache
from itertools import chain

# --- character classes -------------------------------------------------------------------------------------

# Unicode Sentence_Terminal marks plus three Khmer signs: the set datatrove calls TERMINAL_PUNCTUATION. A FineWeb
# line "ends in punctuation" when it ends with one of these.
TERMINAL_PUNCTUATION: frozenset[str] = frozenset(
    "!.?\u0589\u061d\u061e\u061f\u06d4\u0700\u0701\u0702\u07f9\u0837\u0839\u083d\u083e\u0964\u0965\u104a\u104b"
    "\u1362\u1367\u1368\u166e\u1735\u1736\u17d4\u17d5\u17d6\u17d9\u17da\u1803\u1809\u1944\u1945\u1aa8\u1aa9"
    "\u1aaa\u1aab\u1b5a\u1b5b\u1b5e\u1b5f\u1b7d\u1b7e\u1c3b\u1c3c\u1c7e\u1c7f\u203c\u203d\u2047\u2048\u2049"
    "\u2e2e\u2e3c\u2e53\u2e54\u3002\ua4ff\ua60e\ua60f\ua6f3\ua6f7\ua876\ua877\ua8ce\ua8cf\ua92f\ua9c8\ua9c9"
    "\uaa5d\uaa5e\uaa5f\uaaf0\uaaf1\uabeb\ufe52\ufe56\ufe57\uff01\uff0e\uff1f\uff61"
    "\U00010a56\U00010a57\U00010f55\U00010f56\U00010f57\U00010f58\U00010f59\U00010f86\U00010f87\U00010f88"
    "\U00010f89\U00011047\U00011048\U000110be\U000110bf\U000110c0\U000110c1\U00011141\U00011142\U00011143"
    "\U000111c5\U000111c6\U000111cd\U000111de\U000111df\U00011238\U00011239\U0001123b\U0001123c\U000112a9"
    "\U0001144b\U0001144c\U000115c2\U000115c3\U000115c9\U000115ca\U000115cb\U000115cc\U000115cd\U000115ce"
    "\U000115cf\U000115d0\U000115d1\U000115d2\U000115d3\U000115d4\U000115d5\U000115d6\U000115d7\U00011641"
    "\U00011642\U0001173c\U0001173d\U0001173e\U00011944\U00011946\U00011a42\U00011a43\U00011a9b\U00011a9c"
    "\U00011c41\U00011c42\U00011ef7\U00011ef8\U00011f43\U00011f44\U00016a6e\U00016a6f\U00016af5\U00016b37"
    "\U00016b38\U00016b44\U00016e98\U0001bc9f\U0001da88"
)
TERMINAL_PUNCTUATION_TUPLE: tuple[str, ...] = tuple(TERMINAL_PUNCTUATION)

# Characters that do not make a token a "word" for Gopher: common ASCII/CJK punctuation, C0/C1 control characters
# and the terminal marks above (the Gopher paper counts words "with at least one non-symbol character").
_CONTROL_CHARS = "".join(chr(c) for lo, hi in ((0, 9), (11, 13), (13, 32), (127, 160)) for c in range(lo, hi))
SYMBOL_CHARS: frozenset[str] = frozenset(
    "!/\u2014\u201d:\uff05\uff11\u3008&(\u3001\u2501\\\u3010#%\u300c\u300d\uff0c\u3011\uff1b+^]~\u201c\u300a"
    "\u201e';\u2019{|\u2236\xb4[=-`*\uff0e\uff08\u2013\uff1f\uff01\uff1a$\uff5e\xab\u3009,><\u300b)?\uff09"
    "\u3002\u2026@_.\"}\u25ba\xbb" + _CONTROL_CHARS
) | TERMINAL_PUNCTUATION

# Single-token sentence-final marks of spaCy's sentencizer (BMP part; the astral ones are Sentence_Terminal too).
SENTENCE_FINAL: frozenset[str] = frozenset(
    "!.?\u0589\u061f\u06d4\u0700\u0701\u0702\u07f9\u0964\u0965\u104a\u104b\u1362\u1367\u1368\u166e\u1735\u1736"
    "\u1803\u1809\u1944\u1945\u1aa8\u1aa9\u1aaa\u1aab\u1b5a\u1b5b\u1b5e\u1b5f\u1c3b\u1c3c\u1c7e\u1c7f\u203c"
    "\u203d\u2047\u2048\u2049\u2e2e\u2e3c\u3002\ua4ff\ua60e\ua60f\ua6f3\ua6f7\ua876\ua877\ua8ce\ua8cf\ua92f"
    "\ua9c8\ua9c9\uaa5d\uaa5e\uaa5f\uaaf0\uaaf1\uabeb\ufe52\ufe56\ufe57\uff01\uff0e\uff1f\uff61"
) | (TERMINAL_PUNCTUATION - frozenset("\u061d\u061e\u17d4\u17d5\u17d6\u17d9\u17da\u2e53\u2e54"))

# Affix characters, following spaCy's English punctuation rules.
_PUNCT = "… , : ; ! ? ¿ ؟ ¡ ( ) [ ] { } < > _ # * & 。 ？ ！ ， 、 ； ： ～ · । ، ۔ ؛ ٪".split()
_QUOTES = "' \" ” “ ` ‘ ´ ’ ‚ , „ » « 「 」 『 』 （ ） 〔 〕 【 】 《 》 〈 〉 〈 〉 ⟦ ⟧".split()
_CURRENCY_1 = "$ £ € ¥ ฿ ₽ ﷼ " + " ".join(chr(c) for c in range(0x20A0, 0x20C0))
_CURRENCY = ["US$", "C$", "A$"] + _CURRENCY_1.split()
_UNITS = (
    "km km² km³ m m² m³ dm dm² dm³ cm cm² cm³ mm mm² mm³ ha µm nm yd in ft kg g mg µg t lb oz m/s km/h kmh mph "
    "hPa Pa mbar mb MB kb KB gb GB tb TB T G M K % км км² км³ м м² м³ дм дм² дм³ см см² см³ мм мм² мм³ нм кг г мг "
    "м/с км/ч кПа Па мбар Кб КБ кб Мб МБ мб Гб ГБ гб Тб ТБ тб"
).split()
_AFTER_NUMBER = frozenset(_UNITS) | frozenset(_CURRENCY)  # suffixes split off only right after a digit
_TAIL_AFTER_DIGIT = re.compile(r"[0-9]([^0-9]{1,6})\Z")
_PUNCT_SET = frozenset(c for c in _PUNCT if len(c) == 1)
_QUOTE_SET = frozenset(_QUOTES)
_PREFIX_SET = _PUNCT_SET | _QUOTE_SET | frozenset(c for c in _CURRENCY if len(c) == 1) | frozenset("§%=—–")
_SUFFIX_SET = _PUNCT_SET | _QUOTE_SET | frozenset("—–")
_SUFFIX_2 = ("'s", "'S", "’s", "’S", "……")
_DOT_AFTER = frozenset("%²-+") | _PUNCT_SET | _QUOTE_SET
_ASCII_DIGITS = frozenset("0123456789")


def _icon_class() -> str:
    """Regex of 'other symbol' (So) characters, which spaCy splits off wherever they appear.

    Consecutive code points are merged into ranges and the BMP part is kept in its own class, so `re` can test it
    with a bitmap instead of walking thousands of ranges at every position.
    """
    planes = list(range(0xA0, 0x3100)) + list(range(0xFE00, 0x10000)) + list(range(0x1F000, 0x1FB00))
    codes = [c for c in planes if unicodedata.category(chr(c)) == "So"]
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and code == ranges[-1][1] + 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])

    def klass(parts: list[list[int]]) -> str:
        return "[" + "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in parts) + "]"

    bmp = [r for r in ranges if r[1] < 0x10000]
    astral = [r for r in ranges if r[0] >= 0x10000]
    return f"(?:{klass(bmp)}|{klass(astral)})"


_ICON = _icon_class()


def _is_icon(ch: str) -> bool:
    """'Other symbol' characters (©, °, emoji, arrows...) are split off like punctuation."""
    return not ch.isascii() and unicodedata.category(ch) == "So"

_ALPHA = r"[^\W\d_\u00b2\u00b3\u00b9\u00bc-\u00be\u2070-\u209f]"  # letters; superscript digits are not
_Q = "[" + re.escape("".join(_QUOTES)) + "]"
_INFIX_RE = re.compile(
    r"\.\.+|…|" + _ICON + r"|(?<=[0-9])[+\-*^](?=[0-9-])"
    rf"|(?<={_ALPHA}|{_Q})\.(?={_ALPHA}|{_Q})"
    rf"|(?<={_ALPHA}),(?={_ALPHA})"
    rf"|(?<={_ALPHA}|[0-9])(?:-|–|—|--|---|——|~)(?={_ALPHA})"
    rf"|(?<={_ALPHA}|[0-9])[:<>=/](?={_ALPHA})"
)
# A simplified web address: optional scheme, dotted host with a letter TLD, optional port and path.
_INFIX_HINT = re.compile(r"[.\-~+*^:<>=/,…–—]")
_URL_RE = re.compile(
    r"(?:[\w+\-.]{2,}://)?(?:[^\s@]+(?::[^\s@]*)?@)?"
    r"(?:[A-Za-z0-9\u00a1-\uffff][A-Za-z0-9\u00a1-\uffff_-]{0,62}\.|[A-Za-z0-9\u00a1-\uffff]\.)+"
    r"(?P<tld>[^\W\d_]{2,63})(?::\d{2,5})?(?:[/?#]\S*)?\Z"
)

# Scripts written without spaces: one Han/Kana character, or one Thai/Lao/Khmer grapheme cluster, per word.
NO_SPACE_UNIT = re.compile(
    "[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f]"
    "|[\u0e00-\u0e7f][\u0e31\u0e34-\u0e3a\u0e47-\u0e4e]*"
    "|[\u0e80-\u0eff][\u0eb1\u0eb4-\u0ebc\u0ec8-\u0ecd]*"
    "|[\u1780-\u17ff][\u17b4-\u17d3\u17dd]*"
)


# --- special cases: English contractions, abbreviations, emoticons ------------------------------------------------

# Emoticons and other punctuation-only tokens kept whole, even where the affix rules would split them.
EMOTICONS = (
    ":) :-) :)) :( :-( :(( ;) ;-) :D :-D :P :p :-P :/ :-/ :| :-| :] :-] :} :> :-> :* :-* :'( :') =) =( =/ =] =[ =| "
    "(: (-: (; (-; (= ): )-: [: [-: [= ]= <3 </3 ^_^ ^^ -_- o_O O_o o.O O.o >.< <.< >.> @_@ ._. 8) 8-) '' ’’ C++ xD XD"
).split()


def _special_cases() -> dict[str, tuple[str, ...]]:
    """Chunks that are tokenised by a fixed table instead of the affix rules (spaCy calls them exceptions)."""
    table: dict[str, tuple[str, ...]] = {}
    abbreviations = (
        "Mr. Mrs. Ms. Dr. Prof. St. Mt. Jr. Inc. Ltd. Co. Corp. Bros. Gen. Gov. Sen. Rep. Rev. Adm. Messrs. "
        "Jan. Feb. Mar. Apr. Jun. Jul. Aug. Sep. Sept. Oct. Nov. Dec. vs. co. e.g. i.e. E.g. I.e. E.G. I.E. "
        "a.m. p.m. v.s. Ph.D. D.C. N.Y. N.J. N.C. N.D. N.H. N.M. S.C. Ala. Ariz. Ark. Calif. Colo. Conn. Del. Fla. "
        "Ga. Ill. Ind. Kan. Kans. Ky. La. Mass. Md. Mich. Minn. Miss. Mo. Mont. Neb. Nebr. Nev. Okla. Ore. Pa. "
        "Tenn. Va. Wash. Wis. Ia. Id. Ak."
    ).split()
    abbreviations += [f"{c}." for c in "abcdefghijklmnopqrstuvwxyzäöü"]
    for word in abbreviations:
        table[word] = (word,)
    for hour in range(1, 13):
        for half in ("a.m.", "p.m.", "am", "pm"):
            table[f"{hour}{half}"] = (str(hour), half)
    for emoticon in EMOTICONS:
        table[emoticon] = (emoticon,)
    for degrees in ("°C.", "°F.", "°K.", "°c.", "°f.", "°k."):
        table[degrees] = (degrees[0], degrees[1], ".")
    table["and/or"] = ("and/or",)

    def add(*parts: str, bare: bool = True) -> None:
        """Register ``"".join(parts)`` lower-case and capitalised, with both apostrophe styles and, unless the
        apostrophe-less spelling is an ordinary word (``its``, ``well``), without apostrophe too."""
        word = "".join(parts)
        spellings = [parts, tuple(p.replace("'", "\u2019") for p in parts)]
        if bare and word.replace("'", "") not in _REAL_WORDS:
            spellings.append(tuple(p.replace("'", "") for p in parts))
        for spelled in spellings:
            bounds = [sum(map(len, spelled[:i])) for i in range(len(spelled) + 1)]
            for case in (str.lower, str.capitalize):
                key = case("".join(spelled))
                table.setdefault(key, tuple(key[a:b] for a, b in zip(bounds, bounds[1:])))

    negatable = "do does did is are was were has have had could should would must need might ai ca wo sha dare may"
    for verb in negatable.split():
        add(verb, "n't")
    pronouns = "i you he she it we they that there who what where when why how this these those"
    for pronoun in pronouns.split():
        for clitics in (("'ll",), ("'d",), ("'ve",), ("'re",), ("'s",)):
            add(pronoun, *clitics)
        for clitics in (("'d", "'ve"), ("'ll", "'ve")):
            add(pronoun, *clitics, bare=False)
    add("i", "'m")
    for modal in ("could", "should", "would", "must", "might"):
        add(modal, "'ve")
    for parts in (("can", "not"), ("gon", "na"), ("got", "ta")):
        add(*parts, bare=False)
    return table


# Apostrophe-less contractions that are ordinary words, so they are never split.
_REAL_WORDS = frozenset("is its here well were hell shell ill shed lets thiss whys hows whens wheres thesere".split())


SPECIAL_CASES: dict[str, tuple[str, ...]] = _special_cases()


# --- affix splitting ----------------------------------------------------------------------------------------

def _is_lower(ch: str) -> bool:
    """Lower-case or caseless letter (caseless scripts count as both, as in spaCy's character classes)."""
    return ch.islower() or (ch.isalpha() and not ch.isupper())


def _is_upper(ch: str) -> bool:
    return ch.isupper() or (ch.isalpha() and not ch.islower())


def _prefix_len(s: str) -> int:
    """Length of the punctuation to peel off the front of ``s`` (0 when none)."""
    first = s[0]
    if first == "." and s.startswith(".."):
        return len(s) - len(s.lstrip("."))
    if first in _PREFIX_SET:
        return 1
    if first == "+":
        return 0 if len(s) > 1 and s[1] in _ASCII_DIGITS else 1
    for currency in ("US$", "C$", "A$"):
        if s.startswith(currency):
            return len(currency)
    return 1 if _is_icon(first) else 0


def _suffix_len(s: str) -> int:
    """Length of the punctuation to peel off the end of ``s``: the left-most suffix rule that reaches the end."""
    n = len(s)
    starts = []
    if s.endswith(".."):
        starts.append(n - (n - len(s.rstrip("."))))
    last = s[-1]
    if last in _SUFFIX_SET or _is_icon(last):
        starts.append(n - 1)
    if n >= 2 and s.endswith(_SUFFIX_2):
        starts.append(n - 2)
    if n >= 2:
        before = s[-2]
        if last == "+" and before in _ASCII_DIGITS:
            starts.append(n - 1)
        if last == "." and (before in _ASCII_DIGITS or _is_lower(before) or before in _DOT_AFTER):
            starts.append(n - 1)
        if last == "." and n >= 3 and _is_upper(before) and _is_upper(s[-3]):
            starts.append(n - 1)
        if last == "." and n >= 3 and before in "FfCcKk" and s[-3] == "°":
            starts.append(n - 1)
        # units and currencies follow a digit and contain none, so only the tail after the last digit can match
        tail = _TAIL_AFTER_DIGIT.search(s)
        if tail and tail.group(1) in _AFTER_NUMBER:
            starts.append(tail.start(1))
    return n - min(starts) if starts else 0


def _is_url(s: str) -> bool:
    """Web address with a lower-case top-level domain (``example.com/a``), kept as one token."""
    match = _URL_RE.match(s)
    return bool(match) and not any(map(str.isupper, match.group("tld")))


def _split_infixes(s: str) -> list[str]:
    """Split a chunk (already stripped of affixes) around infix punctuation such as ``-`` in ``well-known``."""
    if not _INFIX_HINT.search(s) and (s.isascii() or not any(map(_is_icon, s))):
        return [s]  # no infix character at all
    tokens: list[str] = []
    start = 0
    for match in _INFIX_RE.finditer(s):
        begin, end = match.span()
        if s[begin] == "." and end - begin == 1 and not _valid_dot_infix(s, begin):
            continue
        if begin == 0:
            continue  # an infix at the very start is not split off (spaCy's rule)
        if begin != start:
            tokens.append(s[start:begin])
        tokens.append(s[begin:end])
        start = end
    if start < len(s):
        tokens.append(s[start:])
    return tokens


def _valid_dot_infix(s: str, i: int) -> bool:
    """A lone ``.`` inside a chunk splits only between a lower-case letter and an upper-case one (``end.Next``)."""
    before, after = s[i - 1], s[i + 1]
    return (before in _QUOTE_SET or _is_lower(before)) and (after in _QUOTE_SET or _is_upper(after))


def _split_latin_chunk(chunk: str) -> list[str]:
    """spaCy's prefix/suffix/infix loop for one whitespace-free chunk."""
    special = SPECIAL_CASES
    prefixes: list[str] = []
    suffixes: list[str] = []
    s = chunk
    last_size = 0
    while s and len(s) != last_size:
        if s in special:
            break
        last_size = len(s)
        pre = _prefix_len(s)
        if pre and s[pre:] and s[pre:] in special:
            prefixes.append(s[:pre])
            s = s[pre:]
            break
        suf = _suffix_len(s[pre:]) if s[pre:] else 0
        if suf and s[:-suf] and s[:-suf] in special:
            suffixes.append(s[-suf:])
            s = s[:-suf]
            break
        if pre and suf and pre + suf <= len(s):
            prefixes.append(s[:pre])
            suffixes.append(s[-suf:])
            s = s[pre:-suf]
        elif pre:
            prefixes.append(s[:pre])
            s = s[pre:]
        elif suf:
            suffixes.append(s[-suf:])
            s = s[:-suf]
    middle: list[str] = []
    if s:
        if s in special:
            middle = list(special[s])
        elif _is_url(s):
            middle = [s]
        else:
            middle = _split_infixes(s)
    tokens = prefixes + middle + suffixes[::-1]
    return _merge_specials(tokens) if len(tokens) > 1 else tokens


_MERGE_SPAN = 3  # longest run of adjacent tokens that can spell one special case (``i.e`` + ``.``)


def _merge_specials(tokens: list[str]) -> list[str]:
    """Re-join adjacent pieces that spell a special case with punctuation in it (``v`` + ``.`` → ``v.``), as
    spaCy's second pass over special cases does."""
    special = SPECIAL_CASES
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for width in range(min(_MERGE_SPAN, len(tokens) - i), 1, -1):
            joined = "".join(tokens[i : i + width])
            if joined in special and not joined.isalnum():
                out.extend(special[joined])
                i += width
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


def _split_chunk(chunk: str, per_character: bool) -> tuple[str, ...]:
    """Tokens of one whitespace-free chunk; with ``per_character``, space-less scripts are split into characters or
    clusters first."""
    if chunk in SPECIAL_CASES:
        return SPECIAL_CASES[chunk]
    if (chunk.isalpha() or chunk.isdigit()) and not (per_character and NO_SPACE_UNIT.search(chunk)):
        return (chunk,)
    if not per_character:
        return tuple(_split_latin_chunk(chunk))
    pieces: list[str] = []
    start = 0
    for match in NO_SPACE_UNIT.finditer(chunk):
        if match.start() > start:
            pieces.extend(_split_latin_chunk(chunk[start : match.start()]))
        pieces.append(match.group())
        start = match.end()
    if start < len(chunk):
        pieces.extend(_split_latin_chunk(chunk[start:]))
    return tuple(pieces)


_CACHE_MAX = 500_000  # chunks remembered per worker process and mode; cleared when full to bound memory
_LONG_CHUNK = 200  # very long chunks (base64, minified code) are rarely repeated: do not cache them
_chunk_caches: dict[bool, dict[str, tuple[str, ...]]] = {True: {}, False: {}}


def split_words(text: str, split_no_space_scripts: bool = True) -> list[str]:
    """Words (tokens, punctuation included) of ``text``, spaCy-English style.

    ``split_no_space_scripts`` (the default) makes each Han/Kana character and each Thai/Lao/Khmer cluster a word;
    False reproduces datatrove's English tokenizer, which keeps a run of such characters as one word.
    """
    cache = _chunk_caches[split_no_space_scripts]
    if len(cache) > _CACHE_MAX:
        cache.clear()
    chunks = text.split()
    found = list(map(cache.get, chunks))  # one C-level pass; only chunks never seen before take the Python path
    if None in found:
        for i, tokens in enumerate(found):
            if tokens is None:
                chunk = chunks[i]
                found[i] = tokens = _split_chunk(chunk, split_no_space_scripts)
                if len(chunk) <= _LONG_CHUNK:
                    cache[chunk] = tokens
    return list(chain.from_iterable(found))


# --- lines, paragraphs, sentences -----------------------------------------------------------------------------

PARAGRAPH_BREAK = re.compile(r"\n{2,}")
LINE_BREAKS = re.compile(r"\n+")


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs as Gopher's repetition rule sees them: the stripped text split on blank lines."""
    return PARAGRAPH_BREAK.split(text.strip())


def split_line_runs(text: str) -> list[str]:
    """Lines split on runs of newlines (Gopher repetition), keeping a leading/trailing empty piece."""
    return LINE_BREAKS.split(text)


_CLASS_OF_FINAL = "P"  # a sentence-final mark token
_CLASS_OF_PUNCT = "p"  # another all-punctuation token: it neither ends nor starts a sentence
_CLASS_OF_WORD = "w"
_SENTENCE_START = re.compile(r"P[Pp]*w")


@lru_cache(maxsize=65536)
def _token_class(token: str) -> str:
    if token in SENTENCE_FINAL:
        return _CLASS_OF_FINAL
    if all(unicodedata.category(ch).startswith("P") for ch in token):
        return _CLASS_OF_PUNCT
    return _CLASS_OF_WORD


def count_sentences(line: str, split_no_space_scripts: bool = True) -> int:
    """Sentences in ``line`` by spaCy's sentencizer rule (0 for an empty line)."""
    words = split_words(line, split_no_space_scripts)
    if not words:
        return 1 if line else 0  # spaCy yields one (whitespace) sentence for a non-empty blank text
    classes = "".join(map(_token_class, words))
    return 1 + len(_SENTENCE_START.findall(classes))


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` as token lists joined by spaces (for inspection and tests; signals only count)."""
    words = split_words(text)
    sentences: list[list[str]] = [[]]
    seen_final = False
    for word in words:
        kind = _token_class(word)
        if seen_final and kind == _CLASS_OF_WORD:
            sentences.append([])
            seen_final = False
        elif kind == _CLASS_OF_FINAL:
            seen_final = True
        sentences[-1].append(word)
    return [" ".join(s) for s in sentences if s]


assert sys.maxunicode > 0xFFFF  # the astral ranges above need a wide build (every CPython 3.3+)
