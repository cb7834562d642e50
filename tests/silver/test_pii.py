"""etl.silver.pii on tiny inline texts: each kind found and validated, the false positives it must not take
(version numbers, dates, prices, product codes, private addresses), and redaction that keeps the text's shape."""

from __future__ import annotations

import pytest

from etl.silver import pii
from etl.silver.pii import CARD, EMAIL, IBAN, IP, PHONE, PII_KINDS, count_pii, find_pii, redact


def found(text: str) -> list[tuple[str, str]]:
    return [(m.kind, text[m.start:m.end]) for m in find_pii(text)]


@pytest.mark.parametrize("text", [None, ""])
def test_none_and_empty(text):
    assert find_pii(text) == []
    assert redact(text) == text
    assert count_pii(text) == (None if text is None else dict.fromkeys(PII_KINDS, 0))


@pytest.mark.parametrize("text, expected", [
    ("Mail john.doe+news@gmail.com today.", [(EMAIL, "john.doe+news@gmail.com")]),
    ("mailto:info@firma-beispiel.de", [(EMAIL, "info@firma-beispiel.de")]),
    ("Server at 8.8.8.8, backup 1.1.1.1.", [(IP, "8.8.8.8"), (IP, "1.1.1.1")]),
    ("ping 2001:4860:4860::8888 now", [(IP, "2001:4860:4860::8888")]),
    ("Call +49 30 1234567 today", [(PHONE, "+49 30 1234567")]),
    ("Call (555) 234-5678 or 1-555-234-5678.", [(PHONE, "(555) 234-5678"), (PHONE, "1-555-234-5678")]),
    ("Tel. 030/1234567 oder 0170 1234567", [(PHONE, "030/1234567"), (PHONE, "0170 1234567")]),
    ("Appelez le 01 23 45 67 89.", [(PHONE, "01 23 45 67 89")]),
    ("The Paris office answers on 01 23 45 67 89 and also", [(PHONE, "01 23 45 67 89")]),  # "and" is no currency
    ("Ring 020 7946 0958.", [(PHONE, "020 7946 0958")]),
    ("Llame al 912 345 678 o al 612 34 56 78.", [(PHONE, "912 345 678"), (PHONE, "612 34 56 78")]),
    ("Звоните 8 (495) 123-45-67.", [(PHONE, "8 (495) 123-45-67")]),
    ("电话 138 0013 8000 或 13800138000", [(PHONE, "138 0013 8000"), (PHONE, "13800138000")]),
    ("اتصل على 0501234567", [(PHONE, "0501234567")]),
    ("Card 4111 1111 1111 1111 exp 12/29", [(CARD, "4111 1111 1111 1111")]),
    ("Amex 3782 822463 10005.", [(CARD, "3782 822463 10005")]),
    ("IBAN DE89 3704 0044 0532 0130 00.", [(IBAN, "DE89 3704 0044 0532 0130 00")]),
    ("IBAN: GB82WEST12345698765432", [(IBAN, "GB82WEST12345698765432")]),
])
def test_finds_each_kind(text, expected):
    assert found(text) == expected


@pytest.mark.parametrize("text", [
    # not public addresses: private, loopback, link-local, shared, documentation, multicast, reserved
    "192.168.1.1 10.0.0.5 172.16.3.4 127.0.0.1 169.254.0.9 100.64.1.1 192.0.2.7 198.51.100.3 203.0.113.9",
    "224.0.0.251 255.255.255.255 0.0.0.0 ::1 fe80::1 fc00::7 2001:db8::42",
    # version numbers
    "version 1.2.3.4, v1.0.0.1, build 10.0.0.19, Windows 10.0.19041.1, Python 3.11.7, release 2.4.6.8.10",
    "Older builds such as 4.2.1.7 cannot negotiate the new ciphers.",
    # dates and times
    "2021-03-15, 15.03.2021, 03/15/2021 12:30, 01.01.2020 - 31.12.2020, 2020/12/31 23:59:59, at 10:30:00",
    # prices and amounts
    "$1,234,567.89, 1.234.567,89 €, 912 345 678 €, 700 000 000 people, 0,99 EUR, 12 345 678 руб",
    # product codes and identifiers
    "ISBN 978-3-16-148410-0, ISBN-13: 9783161484100, SKU 12-3456-78, part 4111-1111-1111-1112",
    # our own placeholders and masks
    "email@example.com, someone@test.example, 192.0.2.1, 2001:db8::1, +00 00 0000000, 0000 0000 0000 0000",
    "DE00 0000 0000 0000 0000 00, (000) 000-0000, 000-000-0000",
    # not e-mail: file names, handles
    "logo@2x.png, icon@3x.jpg, follow @someone",
    # an invalid card (Luhn) and IBAN (checksum)
    "4111 1111 1111 1112, DE89 3704 0044 0532 0130 01",
])
def test_false_positives_are_not_pii(text):
    assert found(text) == []


def test_redaction_keeps_shape_and_is_idempotent():
    text = ("Write john@gmail.com from 8.8.8.8 or 2001:4860:4860::8888, call +49 30 1234567, "
            "card 4111-1111-1111-1111, IBAN DE89 3704 0044 0532 0130 00; LAN 192.168.0.1 stays.")
    out = redact(text)
    assert out == ("Write email@example.com from 192.0.2.1 or 2001:db8::1, call +00 00 0000000, "
                   "card 0000-0000-0000-0000, IBAN DE00 0000 0000 0000 0000 00; LAN 192.168.0.1 stays.")
    assert redact(out) == out
    assert count_pii(out) == dict.fromkeys(PII_KINDS, 0)


def test_counts_per_kind_and_earlier_kinds_win_overlaps():
    # the card is not also counted as a phone number; the e-mail's digits are not a phone number
    text = "a 4111 1111 1111 1111 b 4915112345678@gmail.com c +33 1 23 45 67 89 d 8.8.4.4"
    assert count_pii(text) == {EMAIL: 1, IBAN: 0, CARD: 1, IP: 1, PHONE: 1}


def test_validators_against_known_answers():
    assert pii.luhn_ok("79927398713") and not pii.luhn_ok("79927398710")  # the Luhn article's example
    assert pii.iban_ok("GB82 WEST 1234 5698 7654 32") and not pii.iban_ok("GB82 WEST 1234 5698 7654 33")
    assert not pii.iban_ok("DE89 3704 0044 0532 0130")  # a valid prefix at the wrong length for DE
    assert pii.is_public_ip("8.8.8.8") and not pii.is_public_ip("10.1.2.3") and not pii.is_public_ip("300.1.1.1")
