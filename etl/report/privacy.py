"""Personal data and benchmark decontamination as the report and the dataset card show them: what gold did (the
settings, the placeholders) and how many documents it touched per PII kind and per benchmark, with example URLs."""

from __future__ import annotations

from etl.catalog import DECONTAMINATION_FAMILY
from etl.config import PII_DROP, PII_OFF
from etl.silver.pii import EMAIL_PLACEHOLDER, IPV4_PLACEHOLDER, IPV6_PLACEHOLDER, MASK_DIGIT

PII_DOC = "docs/pii.md"


def pii_text(p: dict) -> str:
    """One paragraph: what gold.pii did to the text."""
    if p["pii_mode"] == PII_OFF:
        return "Personal data: not redacted (`gold.pii = off`); silver's `pii_*` columns still count it."
    text = (f"Personal data is redacted in `text` (`gold.pii = {p['pii_mode']}`, {PII_DOC}): e-mail addresses become "
            f"`{EMAIL_PLACEHOLDER}`, public IP addresses `{IPV4_PLACEHOLDER}` / `{IPV6_PLACEHOLDER}`, and the digits "
            f"of phone, payment card and IBAN numbers `{MASK_DIGIT}` (separators and the IBAN country kept).")
    if p["pii_mode"] == PII_DROP:
        text += f" Documents with more than {p['max_pii_count']} matches are dropped (rule `pii:too_many`)."
    return text + " Documents redacted per kind:"


def pii_rows(p: dict) -> list[list]:
    return [[kind, v["documents"], ", ".join(v["examples"])] for kind, v in p["redacted"].items()]


def decontamination_text(p: dict) -> str:
    d = p["decontamination"]
    return (f"Benchmark decontamination (`gold.decontamination`): documents sharing a word {d['ngram']}-gram with a "
            f"benchmark text (texts shorter than {d['ngram']} words count as one n-gram of their length, texts under "
            f"{d['min_words']} words are not used) are {'dropped' if d['action'] == 'drop' else 'kept and flagged'}"
            " and listed in `gold/contamination`; dropped ones have reason `decontamination:<benchmark>` in "
            "`gold/rejections`. Per benchmark:")


def decontamination_condition(reason: str) -> str:
    """The "drops when" of a decontamination:<benchmark> reason (any other reason: empty)."""
    family, _, benchmark = reason.partition(":")
    return f"shares a word n-gram with benchmark {benchmark}" if family == DECONTAMINATION_FAMILY else ""


def decontamination_rows(p: dict) -> list[list]:
    rows = []
    for name, by_action in p["decontamination"]["benchmarks"].items():
        for action, v in sorted(by_action.items()):
            rows.append([name, action, v["documents"], ", ".join(v["examples"])])
    return rows
