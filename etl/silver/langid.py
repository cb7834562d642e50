"""Language identification for silver: langdetect on a bounded prefix, plus language-code mapping.

langdetect is the default backend because it is pure Python and ships its profiles (no model
download). It is random unless seeded, so the seed is fixed and the profiles are loaded in sorted
order, once per process: the same text gives the same answer in every worker and every run.

Codes: Common Crawl's ``WARC-Identified-Content-Language`` header holds comma-separated
ISO-639-3 codes (CLD2's result: ``eng``, ``zho``, ``ara``); langdetect answers with ISO-639-1 codes
plus ``zh-cn``/``zh-tw``. Both are mapped to one canonical code by :func:`normalise_lang`
(ISO-639-1 where one exists; Chinese -> ``zh``; Norwegian Bokmål/Nynorsk -> ``no`` and Filipino ->
``tl``, the way langdetect's profiles group them; individual languages of a macrolanguage, such
as Egyptian Arabic ``arz`` or Iranian Persian ``pes``, -> the macrolanguage).

CJK script rule: langdetect often calls Chinese Korean (its Korean profile is full of Hanja) and
calls Chinese pages with some Latin text English. When CJK characters carry most of a prefix's
letters, the script decides instead: Hangul -> ``ko``, kana -> ``ja``, Han only -> ``zh``; the
probability is then the CJK share of the letters. ``script_rules=False`` turns this off.

Short texts (tweets, comments, captions: shorter than ``SHORT_TEXT_MAX_CHARS``) are prepared first:
URLs, @mentions and emoji are masked (a hashtag keeps its word: dropping it took English tweets
from 0.975 to 0.967), a text in capitals is lowercased (langdetect skips every word with two capitals in a
row, so "CALLATE PERRA LOCA" had no features), and one with fewer than ``MIN_LETTERS`` letters left
is too short to judge: ``(None, 0.0)``, and silver falls back to Common Crawl's header language.
Longer texts are read exactly as before. Thresholds measured in ``evals/langid_short_eval.py``;
``short_text_rules=False`` turns this off.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable

import pandas as pd
from langdetect import DetectorFactory
from langdetect.detector_factory import PROFILES_DIRECTORY
from langdetect.lang_detect_exception import LangDetectException

from etl.silver import langdetect_fast

DEFAULT_MAX_CHARS = 1_000
LANGDETECT_SEED = 0
NO_LANGUAGE: tuple[None, float] = (None, 0.0)

# Reproducibility for any langdetect user in this process, as langdetect's README asks; our own
# factory below carries the seed too, so a later change of the class attribute cannot affect it.
DetectorFactory.seed = LANGDETECT_SEED

# ISO-639-1 -> ISO-639-3 (macrolanguage codes where ISO-639-3 has one, as CLD2/Common Crawl use).
_ISO1_TO_ISO3_TEXT = """
aa aar ab abk ae ave af afr ak aka am amh an arg ar ara as asm av ava ay aym az aze ba bak be bel
bg bul bi bis bm bam bn ben bo bod br bre bs bos ca cat ce che ch cha co cos cr cre cs ces cu chu
cv chv cy cym da dan de deu dv div dz dzo ee ewe el ell en eng eo epo es spa et est eu eus fa fas
ff ful fi fin fj fij fo fao fr fra fy fry ga gle gd gla gl glg gn grn gu guj gv glv ha hau he heb
hi hin ho hmo hr hrv ht hat hu hun hy hye hz her ia ina id ind ie ile ig ibo ii iii ik ipk io ido
is isl it ita iu iku ja jpn jv jav ka kat kg kon ki kik kj kua kk kaz kl kal km khm kn kan ko kor
kr kau ks kas ku kur kv kom kw cor ky kir la lat lb ltz lg lug li lim ln lin lo lao lt lit lu lub
lv lav mg mlg mh mah mi mri mk mkd ml mal mn mon mr mar ms msa mt mlt my mya na nau nb nob nd nde
ne nep ng ndo nl nld nn nno no nor nr nbl nv nav ny nya oc oci oj oji om orm or ori os oss pa pan
pi pli pl pol ps pus pt por qu que rm roh rn run ro ron ru rus rw kin sa san sc srd sd snd se sme
sg sag si sin sk slk sl slv sm smo sn sna so som sq sqi sr srp ss ssw st sot su sun sv swe sw swa
ta tam te tel tg tgk th tha ti tir tk tuk tl tgl tn tsn to ton tr tur ts tso tt tat tw twi ty tah
ug uig uk ukr ur urd uz uzb ve ven vi vie vo vol wa wln wo wol xh xho yi yid yo yor za zha zh zho
zu zul
"""
ISO1_TO_ISO3: dict[str, str] = dict(
    zip(_ISO1_TO_ISO3_TEXT.split()[0::2], _ISO1_TO_ISO3_TEXT.split()[1::2])
)

# Codes that are not an ISO-639-1/-3 pair above but name the same canonical language:
# ISO-639-2/B bibliographic codes, individual languages of a macrolanguage, and the groupings
# langdetect's profiles make (it has one Norwegian and one Tagalog/Filipino profile).
_ALIASES: dict[str, str] = {
    # ISO-639-2/B
    "alb": "sq", "arm": "hy", "baq": "eu", "bur": "my", "chi": "zh", "cze": "cs", "dut": "nl",
    "fre": "fr", "geo": "ka", "ger": "de", "gre": "el", "ice": "is", "mac": "mk", "mao": "mi",
    "may": "ms", "per": "fa", "rum": "ro", "slo": "sk", "tib": "bo", "wel": "cy",
    # Chinese
    "cmn": "zh", "yue": "zh", "wuu": "zh", "nan": "zh", "hak": "zh", "zh-cn": "zh", "zh-tw": "zh",
    # Arabic varieties (Standard, Egyptian, Levantine, Gulf, Maghrebi, ...)
    "arb": "ar", "arz": "ar", "apc": "ar", "ajp": "ar", "acm": "ar", "ary": "ar", "aeb": "ar",
    "ars": "ar", "afb": "ar", "ayl": "ar", "apd": "ar", "acq": "ar", "ayp": "ar", "arq": "ar",
    # other macrolanguage members
    "pes": "fa", "prs": "fa", "zsm": "ms", "ekk": "et", "lvs": "lv", "swh": "sw", "npi": "ne",
    "als": "sq", "aln": "sq", "uzn": "uz", "azj": "az", "azb": "az", "khk": "mn", "kmr": "ku",
    "ckb": "ku", "pbu": "ps", "ory": "or", "ydd": "yi", "quz": "qu", "gaz": "om", "plt": "mg",
    # langdetect groupings
    "nb": "no", "nn": "no", "nob": "no", "nno": "no", "fil": "tl",
}

# Canonical code -> langdetect profile code, for the 55 languages langdetect knows.
LANGDETECT_CODES: tuple[str, ...] = (
    "af", "ar", "bg", "bn", "ca", "cs", "cy", "da", "de", "el", "en", "es", "et", "fa", "fi", "fr",
    "gu", "he", "hi", "hr", "hu", "id", "it", "ja", "kn", "ko", "lt", "lv", "mk", "ml", "mr", "ne",
    "nl", "no", "pa", "pl", "pt", "ro", "ru", "sk", "sl", "so", "sq", "sv", "sw", "ta", "te", "th",
    "tl", "tr", "uk", "ur", "vi", "zh-cn", "zh-tw",
)
# Chinese: CC's "zho" does not say which script, so the simplified profile stands for it.
_CANONICAL_TO_LANGDETECT = {code: code for code in LANGDETECT_CODES if not code.startswith("zh")}
_CANONICAL_TO_LANGDETECT["zh"] = "zh-cn"

_ISO3_TO_ISO1 = {iso3: iso1 for iso1, iso3 in ISO1_TO_ISO3.items()}
_LETTER_RE = re.compile(r"[^\W\d_]")
_HAN_RE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_KANA_RE = re.compile("[\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9d]")
_HANGUL_RE = re.compile("[\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7af]")
# One CJK character carries about as much text as three Latin letters (a Chinese word is ~1.5-2
# characters, an English word ~4.7 letters), so it counts three times in the CJK share.
CJK_CHAR_WEIGHT = 3
# The script rule applies only when CJK carries the majority of the (weighted) letters.
CJK_MIN_SHARE = 0.5
# Japanese always mixes kana into Han; Korean is mostly Hangul: small shares suffice to decide.
KANA_MIN_SHARE = 0.1
HANGUL_MIN_SHARE = 0.3
# Short-text rules (module doc), chosen on four tweet sets and checked on held-out ones by
# evals/langid_short_eval.py. Below a tweet's maximum length, masking and lowercasing raised accuracy
# (Spanish tweets 0.87 -> 0.92); longer texts are read unchanged, so documents keep their answers.
SHORT_TEXT_MAX_CHARS = 280
# Letters (a CJK character counts CJK_CHAR_WEIGHT) a short text needs to be judged: the largest count
# below which langdetect was right on fewer than half the texts of the chosen sets (4 of 10; from 4 to 9
# letters, 79%). Common Crawl's CLD2 did worse than langdetect on the same short texts, so no more is left to it.
MIN_LETTERS = 4
# A short text is lowercased when more than this share of its cased letters are capitals.
MAX_UPPER_SHARE = 0.5
_URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MENTION_RE = re.compile(r"(?<!\w)@\w+")  # not the "@host" of an e-mail address (langdetect blanks those)
# Emoji and pictographs, with their joiners and variation selectors: not letters, but langdetect counts
# them as non-Latin characters and drops every Latin letter of a text that has more of them.
_EMOJI_RE = re.compile(
    "[\u2190-\u21ff\u2300-\u23ff\u2460-\u27bf\u2900-\u297f\u2b00-\u2bff\u3030\u303d\u3297\u3299"
    "\ufe0e\ufe0f\u200d\U0001f000-\U0001faff\U000e0000-\U000e007f]"
)


def normalise_lang(code: str | None) -> str | None:
    """Canonical language code (ISO-639-1-ish) for an ISO-639-1/-2B/-3, langdetect or BCP-47 code.

    ``"zho"``, ``"zh-tw"``, ``"zh-Hans"`` -> ``"zh"``; ``"eng"`` -> ``"en"``; ``"pt-BR"`` -> ``"pt"``.
    Unknown or empty codes give ``None``.
    """
    if not code or not isinstance(code, str):
        return None
    key = code.strip().lower().replace("_", "-")
    if key in _ALIASES:
        return _ALIASES[key]
    primary = key.split("-", 1)[0]
    if primary in _ALIASES:
        return _ALIASES[primary]
    if primary in ISO1_TO_ISO3:
        return primary
    return _ISO3_TO_ISO1.get(primary)


def cc_to_langdetect(code: str | None) -> str | None:
    """langdetect profile code for a Common Crawl (ISO-639-3) code, or ``None`` if langdetect lacks it.

    ``"zho"`` gives ``"zh-cn"`` (the header does not tell simplified from traditional; compare
    through :func:`normalise_lang` to treat both as Chinese).
    """
    canonical = normalise_lang(code)
    return _CANONICAL_TO_LANGDETECT.get(canonical) if canonical else None


def langdetect_to_cc(code: str | None) -> str | None:
    """ISO-639-3 code (Common Crawl's spelling) for a langdetect code: ``"zh-tw"`` -> ``"zho"``."""
    canonical = normalise_lang(code)
    return ISO1_TO_ISO3.get(canonical) if canonical else None


def parse_cc_languages(header: str | Iterable[str] | None) -> list[str]:
    """The codes of a ``WARC-Identified-Content-Language`` value (``"deu,eng"`` or a list), in order."""
    if header is None:
        return []
    items = header.split(",") if isinstance(header, str) else header
    return [item.strip() for item in items if isinstance(item, str) and item.strip()]


def header_rules_out(cc_languages: list[str] | str | None, wanted: set[str]) -> bool:
    """True when the CC header says for certain that the document is in none of ``wanted``.

    Conservative: no header, an empty ``wanted`` set (no language filter), or any header code we
    cannot map all give ``False`` (cannot rule out). ``wanted`` may use any code spelling.
    """
    codes = parse_cc_languages(cc_languages)
    if not codes or not wanted:
        return False
    wanted_canonical = {normalise_lang(w) or w.strip().lower() for w in wanted}
    header_canonical = [normalise_lang(c) for c in codes]
    if any(c is None for c in header_canonical):
        return False
    return not any(c in wanted_canonical for c in header_canonical)


def prepare_short_text(text: str) -> str:
    """``text`` with URLs, @mentions and emoji masked, lowercased when mostly capitals (module doc)."""
    text = _EMOJI_RE.sub(" ", _MENTION_RE.sub(" ", _URL_RE.sub(" ", text)))
    upper = sum(map(str.isupper, text))
    if upper > MAX_UPPER_SHARE * (upper + sum(map(str.islower, text))):
        text = text.lower()
    return " ".join(text.split())


def _cjk_count(text: str) -> int:
    return len(_HAN_RE.findall(text)) + len(_KANA_RE.findall(text)) + len(_HANGUL_RE.findall(text))


def weighted_letters(text: str) -> int:
    """Letters of ``text``, a CJK character counting ``CJK_CHAR_WEIGHT`` (it carries about a word)."""
    return len(_LETTER_RE.findall(text)) + (CJK_CHAR_WEIGHT - 1) * _cjk_count(text)


def _cjk_language(prefix: str) -> tuple[str, float] | None:
    """(language, CJK share) when CJK characters dominate ``prefix``, else None (see module doc)."""
    han = len(_HAN_RE.findall(prefix))
    kana = len(_KANA_RE.findall(prefix))
    hangul = len(_HANGUL_RE.findall(prefix))
    cjk = han + kana + hangul
    if not cjk:
        return None
    other = max(len(_LETTER_RE.findall(prefix)) - cjk, 0)
    share = CJK_CHAR_WEIGHT * cjk / (CJK_CHAR_WEIGHT * cjk + other)
    if share < CJK_MIN_SHARE:
        return None
    if hangul >= HANGUL_MIN_SHARE * cjk:
        return "ko", share
    if kana >= KANA_MIN_SHARE * cjk:
        return "ja", share
    return "zh", share


@functools.cache
def _factory() -> DetectorFactory:
    """langdetect profiles, loaded once per process in sorted order (listdir order varies)."""
    profiles = []
    for name in sorted(os.listdir(PROFILES_DIRECTORY)):
        path = os.path.join(PROFILES_DIRECTORY, name)
        if not name.startswith(".") and os.path.isfile(path):
            with open(path, encoding="utf-8") as handle:
                profiles.append(handle.read())
    factory = DetectorFactory()
    factory.load_json_profile(profiles)
    factory.seed = LANGDETECT_SEED
    return factory


@functools.cache
def _profiles() -> langdetect_fast.ProfileMatrix:
    """The factory's profiles as one numpy array (about 75 MB), for the vectorised detection loop."""
    return langdetect_fast.ProfileMatrix(_factory())


def detect_language(
    text: str | None,
    max_chars: int = DEFAULT_MAX_CHARS,
    canonical: bool = True,
    script_rules: bool = True,
    short_text_rules: bool = True,
) -> tuple[str | None, float]:
    """(language, probability) of the first ``max_chars`` characters of ``text``.

    With ``canonical`` the code is :func:`normalise_lang`'s (``zh-cn``/``zh-tw`` -> ``zh``, and
    their probabilities add up); otherwise langdetect's own code. ``None``, empty text, text
    without a letter and a short text too short to judge (module doc) give ``(None, 0.0)``
    without calling langdetect; so does any langdetect error. ``max_chars <= 0`` means the whole text.
    """
    return _detect(text, max_chars, canonical, script_rules, short_text_rules)[:2]


def _detect(
    text: str | None, max_chars: int, canonical: bool, script_rules: bool, short_text_rules: bool
) -> tuple[str | None, float, bool]:
    """:func:`detect_language`'s answer and whether the text was too short to judge."""
    if not isinstance(text, str) or not text:
        return (*NO_LANGUAGE, True)
    short = short_text_rules and len(text) < SHORT_TEXT_MAX_CHARS
    if short:
        text = prepare_short_text(text)
    prefix = text[:max_chars] if max_chars and max_chars > 0 else text
    if not _LETTER_RE.search(prefix) or (short and weighted_letters(prefix) < MIN_LETTERS):
        return (*NO_LANGUAGE, True)
    return (*_detect_prefix(prefix, canonical, script_rules), False)


def _detect_prefix(prefix: str, canonical: bool, script_rules: bool) -> tuple[str | None, float]:
    """The CJK script rule, else langdetect, on a prefix with at least one letter."""
    if script_rules and canonical:
        by_script = _cjk_language(prefix)
        if by_script is not None:
            return by_script
    try:
        detector = _factory().create()
        langdetect_fast.append_text(detector, prefix)
        candidates = langdetect_fast.get_probabilities(detector, _profiles())
    except LangDetectException:
        return NO_LANGUAGE
    if not candidates:
        return NO_LANGUAGE
    if not canonical:
        return candidates[0].lang, float(candidates[0].prob)
    totals: dict[str, float] = {}
    for cand in candidates:
        key = normalise_lang(cand.lang) or cand.lang
        totals[key] = totals.get(key, 0.0) + cand.prob
    # Ties broken by code so the answer never depends on dict order.
    lang, prob = max(totals.items(), key=lambda item: (item[1], item[0]))
    return lang, float(min(prob, 1.0))


def detect_series(
    texts: pd.Series,
    max_chars: int = DEFAULT_MAX_CHARS,
    script_rules: bool = True,
    short_text_rules: bool = True,
) -> pd.DataFrame:
    """Columns ``lang`` (object: canonical code or None), ``lang_prob`` (float64) and ``too_short``
    (bool: no text, no letter, or a short text too short to judge; silver may use the header), same index."""
    results = [_detect(t, max_chars, True, script_rules, short_text_rules) for t in texts]
    return pd.DataFrame(
        {
            "lang": pd.Series([r[0] for r in results], index=texts.index, dtype=object),
            "lang_prob": pd.Series([r[1] for r in results], index=texts.index, dtype="float64"),
            "too_short": pd.Series([r[2] for r in results], index=texts.index, dtype=bool),
        }
    )
