"""Personal data in text: find, count and redact e-mail addresses, public IP addresses, phone numbers, payment card
numbers and IBANs. Pure Python, no Spark: silver counts with it (etl.silver.scorers.PiiScorer), gold redacts with it.

Every pattern is compiled once at import; each kind has a cheap pre-check (an '@', enough digits, enough colons) so
most documents never run its regex. Matches are validated where a checksum or registry exists: IPs must be public
(``ipaddress``'s is_global: private, loopback, link-local, shared, documentation and reserved ranges are not PII),
card numbers must pass Luhn and start with a card network's prefix, IBANs must have their country's length and pass
mod-97. Kinds are searched in PII_KINDS order and a later kind never overlaps an earlier one's match (a card number
is not also a phone number). Replacements keep the text's shape and are never matched again, so redaction is
idempotent; docs/pii.md lists them per kind, with what each pattern covers and misses.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Iterable, NamedTuple

from etl.catalog import PII_KINDS

# The kinds in search order (the catalog's): a span claimed by an earlier kind is not searched again by a later one.
EMAIL, IBAN, CARD, IP, PHONE = PII_KINDS

# Replacements (docs/pii.md). E-mail and IP as FineWeb does (fixed placeholder addresses), from the ranges reserved
# for documentation (RFC 2606, RFC 5737, RFC 3849); digits of phone, card and IBAN numbers become MASK_DIGIT and
# IBAN letters MASK_LETTER, separators and the IBAN's country code are kept.
EMAIL_PLACEHOLDER = "email@example.com"
IPV4_PLACEHOLDER = "192.0.2.1"
IPV6_PLACEHOLDER = "2001:db8::1"
MASK_DIGIT, MASK_LETTER = "0", "X"

# Cheap pre-checks: the fewest characters a match of each kind can have.
MIN_PHONE_DIGITS = 7
MIN_CARD_DIGITS, MAX_CARD_DIGITS = 13, 19
MIN_IBAN_DIGITS = 8
MIN_IPV4_DIGITS = 4
MIN_IPV6_COLONS = 2
MIN_PHONE_TOTAL_DIGITS, MAX_PHONE_TOTAL_DIGITS = 8, 15  # E.164 allows at most 15
NATIONAL_TRUNK_DIGITS = (9, 12)  # a national number with its leading 0, e.g. 030 1234567 .. 0XX XXXX XXXXX
DIGITS = "0123456789"

# --- e-mail -------------------------------------------------------------------------------------------------------
EMAIL_RE = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"([A-Za-z]{2,24})\b(?!@)")
# Not a mailbox: names reserved for documentation and tests (RFC 2606/6761), and file names such as logo@2x.png
# whose "top-level domain" is a file extension.
RESERVED_EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
RESERVED_EMAIL_TLDS = frozenset({"example", "test", "invalid", "localhost", "local"})
FILE_EXTENSION_TLDS = frozenset({"png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "ico", "css", "js", "pdf",
                                 "html", "htm", "php", "mp4", "mp3", "zip"})

# --- IP addresses -------------------------------------------------------------------------------------------------
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
# Not part of a longer dotted number (1.2.3.4.5), a decimal (1.2.3.4.5) or a word (v1.2.3.4).
IPV4_RE = re.compile(rf"(?<![\w.]){_OCTET}(?:\.{_OCTET}){{3}}(?![\w]|\.\d)")
# A version number, not an address: "version 1.0.0.1", "v2.3.4.5", "older builds such as 4.2.1.7": one of these
# words shortly before the number.
VERSION_CONTEXT_RE = re.compile(r"(?:\b(?:v|ver|versions?|versión|versão|releases?|builds?|firmware|updates?|"
                                r"версия|版本)\b)", re.IGNORECASE)
VERSION_CONTEXT_CHARS = 24
# Candidates only; ipaddress decides. Hex groups with at least two colons, not inside a word or a longer run.
IPV6_RE = re.compile(r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")

# --- payment cards ------------------------------------------------------------------------------------------------
# Groups of 4 with one separator throughout (13-19 digits), Amex/Diners 4-6-5/4-6-4, or one unbroken run; not the
# groups of an IBAN-like number ("DE12 2674 4646 ...", whose checksum failed).
CARD_RE = re.compile(r"(?<![\w.,+/-])(?<![A-Z]{2}\d{2} )(?<!\d{4} )"
                     r"(?:\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}|\d{4}([ -])\d{6}\2\d{4,5}|\d{13,19})(?![\w]|[.,/-]\d)")
# Issuer prefixes (ISO/IEC 7812 IINs of the major networks) as (low, high) over the first digits.
CARD_PREFIXES = (
    ("4", "4"),                  # Visa
    ("51", "55"), ("2221", "2720"),  # Mastercard
    ("34", "34"), ("37", "37"),  # American Express
    ("6011", "6011"), ("644", "649"), ("65", "65"),  # Discover
    ("3528", "3589"),            # JCB
    ("300", "305"), ("36", "36"), ("38", "39"),  # Diners Club
    ("62", "62"),                # UnionPay
    ("50", "50"), ("56", "58"), ("67", "67"),  # Maestro
    ("2200", "2204"),            # Mir
)

# --- IBAN ---------------------------------------------------------------------------------------------------------
IBAN_RE = re.compile(r"\b([A-Z]{2})(\d{2})((?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?)\b")
# IBAN length per country (SWIFT's IBAN registry), for the countries most web text comes from and those of the
# languages gold has thresholds for; another country's IBAN is accepted at any registry length with a valid checksum.
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AT": 20, "BE": 16, "BG": 22, "BH": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18,
    "DZ": 26, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27, "HR": 21, "HU": 28, "IE": 22,
    "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "LY": 25, "MA": 28, "MC": 27, "MT": 31, "MR": 27, "NL": 18, "NO": 15, "OM": 23, "PL": 28, "PS": 29,
    "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27,
    "TN": 24, "TR": 26, "UA": 29, "VA": 22, "YE": 30,
}
IBAN_MIN_LENGTH, IBAN_MAX_LENGTH = 15, 34

# --- phone numbers ------------------------------------------------------------------------------------------------
# Each pattern is one national or international format; a match must also have a plausible digit count
# (PHONE_DIGIT_RANGE) and not be one digit repeated (a mask such as 000-000-0000, our own replacement included).
_NOT_BEFORE = r"(?<![\w+.,/-])"
_NOT_AFTER = r"(?![\w]|[.,/:-]\d)"
PHONE_PATTERNS = {
    # +49 30 1234567, +1 (555) 123-4567, +7 495 123-45-67, +86 138 0013 8000, +33 1 23 45 67 89, 0049 30 123456
    # (a 00 prefix right after a group such as an IBAN's "3704 " is that number's next group, not a phone prefix)
    "international": re.compile(r"(?<![\w+])(?:\+|(?<![A-Z0-9]{4} )\b00(?=[1-9]))[1-9]\d{0,2}"
                                r"(?>(?:[ .-]?\(?\d{1,5}\)?){1,6})" + _NOT_AFTER),
    # North America: (555) 123-4567, 555-123-4567, 555.123.4567, 1-555-123-4567 (separators required)
    "nanp": re.compile(_NOT_BEFORE + r"(?:1[ .-])?(?:\([2-9]\d{2}\) ?|[2-9]\d{2}[ .-])[2-9]\d{2}[ .-]\d{4}"
                       + _NOT_AFTER),
    # A national number with its trunk 0 (de, fr, en-GB, es landlines aside, ar, zh landlines): 030 1234567,
    # 030/1234567, (030) 123 456 78, 01 23 45 67 89, 020 7946 0958, 010-12345678, 010 1234 5678; unbroken only at
    # 10-11 digits (0501234567), since shorter zero-led runs are mostly catalogue ids
    "trunk_zero": re.compile(_NOT_BEFORE + r"(?:(?:\(0\d{1,4}\) ?|0\d{1,4}[ ./-])\d{2,8}(?:[ ./-]\d{2,8}){0,3}"
                             r"|0\d{9,10})" + _NOT_AFTER),
    # Russia's trunk 8: 8 (495) 123-45-67, 8-800-555-35-35, 8 912 345 67 89
    "ru_trunk_eight": re.compile(_NOT_BEFORE + r"8[ -]?(?:\(\d{3,5}\)|\d{3})[ -]?\d{1,3}[ -]\d{2}[ -]?\d{2}"
                                 + _NOT_AFTER),
    # China's mobiles: 138 0013 8000, 138-0013-8000, 13800138000
    "zh_mobile": re.compile(_NOT_BEFORE + r"1[3-9]\d(?:[ -]?\d{4}){2}" + _NOT_AFTER),
    # Spain (no trunk prefix): 912 345 678, 612 34 56 78 (grouped only: an unbroken 9-digit run is too often an id)
    "es_grouped": re.compile(_NOT_BEFORE + r"[6-9]\d{2}(?: \d{3} \d{3}| \d{2} \d{2} \d{2})" + _NOT_AFTER),
}
PHONE_DIGIT_RANGE = {
    "international": (MIN_PHONE_TOTAL_DIGITS, MAX_PHONE_TOTAL_DIGITS), "nanp": (10, 11),
    "trunk_zero": NATIONAL_TRUNK_DIGITS, "ru_trunk_eight": (11, 11), "zh_mobile": (11, 11), "es_grouped": (9, 9),
}
# A number followed by a currency or unit is an amount, not a phone number: "912 345 678 €", "700 000 000 people"
# is caught by AMOUNT_GROUP_RE instead (a round thousands group).
AMOUNT_AFTER_RE = re.compile(r"\s?(?:[€$£¥₽%‰]|(?-i:[A-Z]{3})\b|руб|euro|dollar|yuan|rubl|yen|km|kg)",
                             re.IGNORECASE)
AMOUNT_GROUP_RE = re.compile(r"[ .]000$")
ISBN_BEFORE_RE = re.compile(r"ISBN(?:-1[03])?:?\s*$", re.IGNORECASE)
CONTEXT_CHARS = 12


class Match(NamedTuple):
    """One piece of personal data: its kind and [start, end) in the text."""

    kind: str
    start: int
    end: int


def _digit_count(text: str) -> int:
    return sum(map(text.count, DIGITS))


def _only_digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


# --- validators ---------------------------------------------------------------------------------------------------

def is_public_ip(candidate: str) -> bool:
    """True for a globally routable unicast address; private, loopback, link-local, shared, documentation,
    multicast and reserved ranges (and anything ipaddress cannot parse) are False."""
    try:
        addr = ipaddress.ip_address(candidate)
    except ValueError:
        return False
    return addr.is_global and not addr.is_multicast and not addr.is_reserved


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum of a string of digits (payment card numbers end with it)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def is_card_number(candidate: str) -> bool:
    """13-19 digits, a known issuer prefix, a valid Luhn checksum, and not one digit repeated."""
    digits = _only_digits(candidate)
    if not MIN_CARD_DIGITS <= len(digits) <= MAX_CARD_DIGITS or len(set(digits)) == 1:
        return False
    if not any(lo <= digits[:len(lo)] <= hi for lo, hi in CARD_PREFIXES):
        return False
    return luhn_ok(digits)


def iban_ok(candidate: str) -> bool:
    """An IBAN of its country's length (or 15-34 characters for a country not listed) whose mod-97 check is 1."""
    compact = candidate.replace(" ", "").upper()
    expected = IBAN_LENGTHS.get(compact[:2])
    if expected is not None and len(compact) != expected:
        return False
    if not IBAN_MIN_LENGTH <= len(compact) <= IBAN_MAX_LENGTH:
        return False
    rearranged = compact[4:] + compact[:4]
    try:
        number = int("".join(str(int(ch, 36)) for ch in rearranged))
    except ValueError:
        return False
    return number % 97 == 1


def _is_email(match: re.Match) -> bool:
    address = match.group(0).lower()
    domain = address.rpartition("@")[2]
    tld = match.group(1).lower()
    if tld in FILE_EXTENSION_TLDS or tld in RESERVED_EMAIL_TLDS:
        return False
    return not any(domain == d or domain.endswith("." + d) for d in RESERVED_EMAIL_DOMAINS)


def _is_phone(text: str, match: re.Match, pattern: str) -> bool:
    digits = _only_digits(match.group(0))
    lo, hi = PHONE_DIGIT_RANGE[pattern]
    if not lo <= len(digits) <= hi or len(set(digits)) == 1:
        return False
    if match.group(0).startswith("00") and digits == match.group(0):  # 00 prefix without any grouping: an id
        return False
    if pattern == "es_grouped" and AMOUNT_GROUP_RE.search(match.group(0)):
        return False
    if AMOUNT_AFTER_RE.match(text, match.end()):
        return False
    return not ISBN_BEFORE_RE.search(text, max(0, match.start() - CONTEXT_CHARS), match.start())


def _is_ipv4(text: str, match: re.Match) -> bool:
    if VERSION_CONTEXT_RE.search(text, max(0, match.start() - VERSION_CONTEXT_CHARS), match.start()):
        return False
    return is_public_ip(match.group(0))


# --- finding ------------------------------------------------------------------------------------------------------

def _candidates(text: str, kind: str) -> Iterable[tuple[int, int]]:
    """[start, end) of every validated match of one kind, after that kind's cheap pre-check."""
    if kind == EMAIL:
        if "@" in text:
            yield from (m.span() for m in EMAIL_RE.finditer(text) if _is_email(m))
        return
    digits = _digit_count(text)
    if kind == IBAN:
        if digits >= MIN_IBAN_DIGITS:
            yield from (m.span() for m in IBAN_RE.finditer(text) if iban_ok(m.group(0)))
    elif kind == CARD:
        if digits >= MIN_CARD_DIGITS:
            yield from (m.span() for m in CARD_RE.finditer(text) if is_card_number(m.group(0)))
    elif kind == IP:
        if digits >= MIN_IPV4_DIGITS and text.count(".") >= 3:
            yield from (m.span() for m in IPV4_RE.finditer(text) if _is_ipv4(text, m))
        if text.count(":") >= MIN_IPV6_COLONS:
            yield from (m.span() for m in IPV6_RE.finditer(text) if is_public_ip(m.group(0)))
    elif kind == PHONE:
        if digits >= MIN_PHONE_DIGITS:
            for name, pattern in PHONE_PATTERNS.items():
                yield from (m.span() for m in pattern.finditer(text) if _is_phone(text, m, name))
    else:
        raise ValueError(f"unknown PII kind {kind!r} (known: {', '.join(PII_KINDS)})")


def find_pii(text: str | None, kinds: Iterable[str] = PII_KINDS) -> list[Match]:
    """Every piece of personal data in ``text``, sorted by position, none overlapping (earlier kinds win)."""
    if not text:
        return []
    taken: list[Match] = []
    for kind in kinds:
        found = sorted(_candidates(text, kind), key=lambda span: (span[0], -span[1]))
        for start, end in found:
            if not any(start < m.end and m.start < end for m in taken):
                taken.append(Match(kind, start, end))
    return sorted(taken, key=lambda m: m.start)


def count_pii(text: str | None) -> dict[str, int] | None:
    """Matches per kind (every kind present, zeros included); None for a None text."""
    if text is None:
        return None
    counts = dict.fromkeys(PII_KINDS, 0)
    for match in find_pii(text):
        counts[match.kind] += 1
    return counts


def _mask(value: str, keep_prefix: int = 0) -> str:
    head, tail = value[:keep_prefix], value[keep_prefix:]
    return head + "".join(MASK_DIGIT if ch.isdigit() else MASK_LETTER if ch.isalpha() else ch for ch in tail)


def replacement(kind: str, value: str) -> str:
    """What a match is replaced with (docs/pii.md): a placeholder address, or the number with its digits masked."""
    if kind == EMAIL:
        return EMAIL_PLACEHOLDER
    if kind == IP:
        return IPV6_PLACEHOLDER if ":" in value else IPV4_PLACEHOLDER
    if kind == IBAN:
        return _mask(value, keep_prefix=2)
    return _mask(value)


def redact(text: str | None, kinds: Iterable[str] = PII_KINDS) -> str | None:
    """``text`` with every match of ``kinds`` replaced (None and empty text come back unchanged)."""
    matches = find_pii(text, kinds)
    if not matches:
        return text
    parts, last = [], 0
    for m in matches:
        parts += [text[last:m.start], replacement(m.kind, text[m.start:m.end])]
        last = m.end
    parts.append(text[last:])
    return "".join(parts)
