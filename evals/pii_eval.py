"""PII detection quality (etl.silver.pii) and decontamination recall (etl.gold.decontamination), for `make eval`.

PII, two labelled sets kept apart:
- **generated**: texts built here with known answers (a fixed seed): per kind, valid instances in sentence
  templates (cards with a computed Luhn digit, IBANs with a computed checksum, public IPs checked with ipaddress,
  phones in each supported national format) and look-alikes that are not PII (version numbers, dates, prices,
  product codes, ISBNs, private/documentation IPs, cards failing Luhn, IBANs failing mod-97). Span-exact scoring.
- **real**: 3,154 real pages (the 63 OSCAR WET records and the FrCORE/SvCORE register corpus in ../shared/data).
  A permissive candidate scan (anything with an '@', a dotted quad, a hex run with colons, 7+ digits with
  separators, an IBAN-like run) plus the detector's hits give the spans; a random sample of 60 hits and 60
  candidates the detector left alone was labelled by hand (evals/data/pii_real_labels.json: pointers and labels,
  not the text, so no personal data is copied into the repository). Precision comes from the hit sample; recall
  weights the two samples by their populations, and only counts what the permissive scan can see.

Decontamination: GSM8K test problems and HumanEval prompts planted in generated pages in several ways (verbatim,
lower-cased and re-spaced, question with its worked answer, the second half of a question only) next to clean
pages (real OSCAR text and maths problems of our own); recall per way of quoting and false positives on clean pages,
through the same Spark join gold runs.
"""

from __future__ import annotations

import ipaddress
import json
import random
import re
import string
from pathlib import Path

from etl.catalog import PII_KINDS
from etl.models.normalize import normalize_text
from etl.silver.pii import CARD, EMAIL, IBAN, IBAN_LENGTHS, IP, PHONE, find_pii, is_public_ip

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
OSCAR = SHARED / "cc_wet_records_2021_oscar_jsonl" / "oscar_22.01_sample_63docs.jsonl"
CORE = SHARED / "web_registers_core_fr_sv"
LABELS = ROOT / "evals" / "data" / "pii_real_labels.json"
SEED = 2026
PER_KIND = 200  # generated positives per kind
NEGATIVES = 400  # generated look-alikes
# Anything that could be personal data of one of the kinds: what the real-text labels were sampled from.
CANDIDATE_RE = re.compile(r"\S+@\S+|(?:\+|\b)\d[\d ().\-/]{6,}\d|\b\d{1,3}(?:\.\d{1,3}){3}\b"
                          r"|\b[A-Z]{2}\d{2}[A-Z0-9 ]{10,}|[0-9a-fA-F]*:[0-9a-fA-F:]*:[0-9a-fA-F]+")


# --- real text -----------------------------------------------------------------------------------------------------

def real_documents() -> list[tuple[str, str]]:
    """(id, normalised text) of every real page the labels point into, in a fixed order."""
    docs = []
    for line in OSCAR.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        docs.append(("oscar:" + d["warc_headers"]["warc-record-id"], d["content"]))
    for path in sorted(CORE.glob("*/*.tsv")):
        with open(path, encoding="utf-8") as fh:  # labels<TAB>text, one page a line
            for i, line in enumerate(fh):
                docs.append((f"{path.parent.name}/{path.name}:{i}", line.rstrip("\n").partition("\t")[2]))
    return [(doc_id, normalize_text(text) or "") for doc_id, text in docs]


def candidates(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in CANDIDATE_RE.finditer(text)]


def _scores(tp: dict, fp: dict, fn: dict) -> dict:
    out = {}
    for kind in PII_KINDS:
        p = tp[kind] / (tp[kind] + fp[kind]) if tp[kind] + fp[kind] else None
        r = tp[kind] / (tp[kind] + fn[kind]) if tp[kind] + fn[kind] else None
        out[kind] = {"precision": None if p is None else round(p, 4), "recall": None if r is None else round(r, 4),
                     "tp": tp[kind], "fp": fp[kind], "fn": fn[kind]}
    return out


def real_text_scores() -> dict:
    """Per kind on the hand-labelled sample of real pages (precision from detector hits; recall population-weighted)."""
    if not OSCAR.exists() or not LABELS.exists():
        return {"skipped": "needs ../shared/data and evals/data/pii_real_labels.json"}
    texts = dict(real_documents())
    labels = json.loads(LABELS.read_text(encoding="utf-8"))
    zero = dict.fromkeys(PII_KINDS, 0)
    tp, fp, fn = dict(zero), dict(zero), dict(zero)
    hit_positive = dict(zero)
    for item in labels["items"]:
        text = texts[item["doc"]]
        predicted = {m.kind for m in find_pii(text) if m.start < item["end"] and item["start"] < m.end}
        label = item["label"]
        for kind in predicted:
            if kind == label:
                tp[kind] += 1
            else:
                fp[kind] += 1
        if label is not None and label not in predicted:
            fn[label] += 1
        if item["sampled_as"] == "detector_hit" and label is not None:
            hit_positive[label] += 1
    pop, n = labels["population"], {k: sum(1 for i in labels["items"] if i["sampled_as"] == k)
                                     for k in labels["population"]}
    weighted = {}
    for kind in PII_KINDS:  # true positives among all hits vs estimated misses among all candidates
        found = hit_positive[kind] * pop["detector_hit"] / max(n["detector_hit"], 1)
        missed = fn[kind] * pop["candidate"] / max(n["candidate"], 1)
        weighted[kind] = round(found / (found + missed), 4) if found + missed else None
    return {"documents": len(texts), "labelled_spans": len(labels["items"]), "population": pop,
            "sample_counts": _scores(tp, fp, fn), "recall_population_weighted": weighted,
            "note": labels["note"]}


# --- generated text ------------------------------------------------------------------------------------------------

def _luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def _card(rng: random.Random) -> str:
    prefix = rng.choice(["4", "51", "55", "2221", "34", "37", "6011", "65", "3530", "62"])
    length = 15 if prefix in ("34", "37") else 16
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    number = body + _luhn_digit(body)
    if length == 15:
        return rng.choice([number, f"{number[:4]} {number[4:10]} {number[10:]}"])
    sep = rng.choice(["", " ", "-"])
    return sep.join(number[i:i + 4] for i in range(0, 16, 4))


def _iban(rng: random.Random) -> str:
    country = rng.choice(["DE", "FR", "ES", "GB", "IT", "NL", "SA", "EG", "CH", "BE"])
    bban_len = IBAN_LENGTHS[country] - 4
    if country == "GB":
        bban = "".join(rng.choice(string.ascii_uppercase) for _ in range(4)) + \
            "".join(rng.choice(string.digits) for _ in range(bban_len - 4))
    else:
        bban = "".join(rng.choice(string.digits) for _ in range(bban_len))
    numeric = int("".join(str(int(ch, 36)) for ch in bban + country + "00"))
    iban = f"{country}{98 - numeric % 97:02d}{bban}"
    return rng.choice([iban, " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))])


def _public_ip(rng: random.Random) -> str:
    while True:
        if rng.random() < 0.8:
            ip = ".".join(str(rng.randint(1, 223)) for _ in range(4))
        else:
            ip = str(ipaddress.IPv6Address(rng.getrandbits(128) & ~(0xFFFF << 112) | (0x2A00 << 112)))
        if is_public_ip(ip):
            return ip


def _email(rng: random.Random) -> str:
    first = rng.choice(["anna", "jean.dupont", "m.schmidt", "li.wei", "olga_k", "ahmed.h", "jsmith", "maria-luisa"])
    domain = rng.choice(["gmail.com", "web.de", "orange.fr", "yandex.ru", "qq.com", "outlook.es", "uni-hamburg.de",
                         "company.co.uk", "hotmail.com"])
    return f"{first}{rng.randint(1, 999) if rng.random() < 0.5 else ''}@{domain}"


def _d(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def _phone(rng: random.Random) -> str:
    nz = lambda: str(rng.randint(2, 9))  # noqa: E731 - a leading digit that formats require not to be 0/1
    formats = [
        lambda: f"+49 {rng.randint(30, 89)} {_d(rng, 7)}", lambda: f"+33 {rng.randint(1, 9)} {_d(rng, 2)} "
        f"{_d(rng, 2)} {_d(rng, 2)} {_d(rng, 2)}", lambda: f"+1 ({nz()}{_d(rng, 2)}) {nz()}{_d(rng, 2)}-{_d(rng, 4)}",
        lambda: f"({nz()}{_d(rng, 2)}) {nz()}{_d(rng, 2)}-{_d(rng, 4)}",
        lambda: f"{nz()}{_d(rng, 2)}-{nz()}{_d(rng, 2)}-{_d(rng, 4)}",
        lambda: f"0{rng.randint(30, 89)} {_d(rng, 7)}", lambda: f"0{rng.randint(1, 9)} {_d(rng, 2)} {_d(rng, 2)} "
        f"{_d(rng, 2)} {_d(rng, 2)}", lambda: f"020 {_d(rng, 4)} {_d(rng, 4)}",
        lambda: f"{rng.choice('6789')}{_d(rng, 2)} {_d(rng, 3)} {_d(rng, 3)}".replace(" 000", " 001"),
        lambda: f"8 ({nz()}{_d(rng, 2)}) {_d(rng, 3)}-{_d(rng, 2)}-{_d(rng, 2)}",
        lambda: f"1{rng.randint(3, 9)}{_d(rng, 1)} {_d(rng, 4)} {_d(rng, 4)}",
        lambda: f"0{rng.randint(10, 99)}-{_d(rng, 8)}", lambda: f"+7 {nz()}{_d(rng, 2)} {_d(rng, 3)}-{_d(rng, 2)}-"
        f"{_d(rng, 2)}", lambda: f"+86 1{rng.randint(3, 9)}{_d(rng, 1)} {_d(rng, 4)} {_d(rng, 4)}",
        lambda: f"+966 5{_d(rng, 1)} {_d(rng, 3)} {_d(rng, 4)}", lambda: f"010 {_d(rng, 4)} {_d(rng, 4)}",
    ]
    return rng.choice(formats)()


GENERATORS = {EMAIL: _email, IBAN: _iban, CARD: _card, IP: _public_ip, PHONE: _phone}
TEMPLATES = ["Please contact us at {} for details.", "Kontakt: {} (Mo-Fr).", "Écrivez-nous : {}, merci.",
             "Reference {} was given on the form.", "Llámenos al {} hoy.", "联系方式：{}。",
             "Звоните: {}.", "للتواصل: {}"]


def _negatives(rng: random.Random) -> list[str]:
    makers = [
        lambda: f"version {rng.randint(1, 20)}.{rng.randint(0, 9)}.{rng.randint(0, 99)}.{rng.randint(0, 9999)}",
        lambda: f"Windows {rng.randint(6, 11)}.0.{rng.randint(10000, 22631)}.{rng.randint(1, 3000)}",
        lambda: f"{rng.randint(1990, 2030)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        lambda: f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{rng.randint(1990, 2030)}",
        lambda: f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/{rng.randint(1990, 2030)} "
                f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}",
        lambda: f"${rng.randint(1, 999)},{rng.randint(100, 999)},{rng.randint(100, 999)}.{rng.randint(10, 99)}",
        lambda: f"{rng.randint(1, 999)} {rng.randint(100, 999)} {rng.randint(100, 999)} €",
        lambda: f"{rng.randint(1, 9)}.{rng.randint(100, 999)}.{rng.randint(100, 999)},{rng.randint(10, 99)} EUR",
        lambda: f"SKU {rng.randint(10, 99)}-{rng.randint(1000, 9999)}-{rng.randint(10, 99)}",
        lambda: f"art. {rng.randint(100, 999)}.{rng.randint(100, 999)}.{rng.randint(10, 99)}",
        lambda: f"ISBN 978-{rng.randint(0, 9)}-{rng.randint(10, 99)}-{rng.randint(100000, 999999)}-{rng.randint(0, 9)}",
        lambda: rng.choice(["192.168", "10.0", "172.16"]) + f".{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        lambda: rng.choice(["192.0.2", "198.51.100", "203.0.113", "127.0.0"]) + f".{rng.randint(1, 254)}",
        lambda: f"2001:db8::{rng.randint(1, 9999):x}",
        lambda: f"4{_d(rng, 15)}" if not _luhn_ok_str(x := f"4{_d(rng, 15)}") else x[:-1] + str((int(x[-1]) + 1) % 10),
        lambda: f"DE{rng.randint(10, 99)} {_d(rng, 4)} {_d(rng, 4)} {_d(rng, 4)} {_d(rng, 4)} {_d(rng, 2)}",
        lambda: f"logo@{rng.randint(2, 3)}x.png", lambda: f"{rng.randint(10, 23)}:{rng.randint(10, 59)}:00",
        lambda: f"{rng.randint(1, 9)} {rng.randint(100, 999)} 000 people",
    ]
    return [rng.choice(makers)() for _ in range(NEGATIVES)]


def _luhn_ok_str(digits: str) -> bool:
    from etl.silver.pii import luhn_ok

    return luhn_ok(digits)


def generated_cases(seed: int = SEED) -> list[tuple[str, list[tuple[str, str]]]]:
    """(text, [(kind, value)]) with known answers: one instance per positive text, none in a negative one.

    A generated IBAN-like or card-like negative can pass its checksum by chance (1 in 97, 1 in 10); those texts
    are left out, so the negatives are exactly the ones that must not be found."""
    from etl.silver.pii import iban_ok, is_card_number

    rng = random.Random(seed)
    cases = []
    for kind, make in GENERATORS.items():
        for _ in range(PER_KIND):
            value = make(rng)
            cases.append((rng.choice(TEMPLATES).format(value), [(kind, value)]))
    for value in _negatives(rng):
        if iban_ok(value.replace(" ", "")) or is_card_number(value):
            continue
        cases.append((rng.choice(TEMPLATES).format(value), []))
    return cases


def generated_scores() -> dict:
    zero = dict.fromkeys(PII_KINDS, 0)
    tp, fp, fn = dict(zero), dict(zero), dict(zero)
    misses: dict[str, list[str]] = {}
    false_alarms: list[str] = []
    cases = generated_cases()
    for text, truth in cases:
        text = normalize_text(text)
        found = {(m.kind, text[m.start:m.end]) for m in find_pii(text)}
        expected = {(k, normalize_text(v)) for k, v in truth}
        for kind, value in found:
            if (kind, value) in expected:
                tp[kind] += 1
            else:
                fp[kind] += 1
                false_alarms.append(f"{kind}: {value}")
        for kind, value in expected - found:
            fn[kind] += 1
            misses.setdefault(kind, []).append(value)
    return {"cases": len(cases), "negatives": sum(1 for _, t in cases if not t), "per_kind": _scores(tp, fp, fn),
            "missed_examples": {k: v[:5] for k, v in misses.items()}, "false_alarm_examples": false_alarms[:10]}


# --- decontamination recall ------------------------------------------------------------------------------------------

GSM8K = SHARED / "benchmarks_decontamination" / "gsm8k" / "test.jsonl"
INTRO = ("Here is a problem we looked at in class this week, and the children enjoyed working on it together. "
         "Try to solve it on your own before reading on.")
OUTRO = "Leave a comment below if you found another way to solve it, and share the page with other parents."
QUOTING = {
    "verbatim": lambda q, a: q,
    "lowercase_respaced": lambda q, a: "  ".join(q.lower().split()),
    "with_worked_answer": lambda q, a: f"{q}\n\nAnswer: {a}",
    "second_half_only": lambda q, a: " ".join(q.split()[len(q.split()) // 2:]),
}


def decontamination_recall(spark) -> dict:
    """Recall of planted GSM8K copies per way of quoting, and false positives on clean pages, via the Spark join."""
    if not GSM8K.exists():
        return {"skipped": "needs ../shared/data"}
    from etl.config import PipelineConfig
    from etl.gold.decontamination import configured, find_contamination, index_rows

    cfg = PipelineConfig()
    bench = [b for b in configured(cfg) if b.name == "gsm8k"][0]
    index = index_rows(spark, bench, "eval", cfg).localCheckpoint(eager=True)
    lengths = sorted(r.words for r in index.select("words").distinct().collect())
    rows = [json.loads(line) for line in GSM8K.read_text(encoding="utf-8").splitlines()]
    rng = random.Random(SEED)
    docs = []
    for i, row in enumerate(rows):
        how = rng.choice(list(QUOTING))
        docs.append((f"planted:{how}:{i}", f"{INTRO}\n\n{QUOTING[how](row['question'], row['answer'])}\n\n{OUTRO}",
                     how, len(row["question"].split()) // 2))
    clean = [(doc_id, text) for doc_id, text in real_documents()[:2000]]
    docs += [(f"clean:{doc_id}", text, "clean", 0) for doc_id, text in clean]
    frame = spark.createDataFrame([(d, normalize_text(t)) for d, t, _, _ in docs], "doc_id string, text string")
    found = {r.doc_id for r in find_contamination(frame, index, lengths).select("doc_id").distinct().collect()}
    out: dict = {"benchmark": "gsm8k", "index_ngrams": index.count(), "ngram_lengths": lengths}
    for how in [*QUOTING, "clean"]:
        ids = [d for d, _, h, _ in docs if h == how]
        hit = sum(1 for d in ids if d in found)
        key = "false_positive_rate" if how == "clean" else "recall"
        out[how] = {"documents": len(ids), "flagged": hit, key: round(hit / len(ids), 4) if ids else None}
    short = [d for d, _, h, half in docs if h == "second_half_only" and half < 13]
    out["second_half_only"]["shorter_than_ngram"] = len(short)
    out["note"] = ("verbatim, lower-cased and with-answer copies must all be found (recall 1.0); a half question "
                   "shorter than the 13-word n-gram cannot be, by design")
    return out


def run(spark=None) -> dict:
    out = {"generated": generated_scores(), "real": real_text_scores()}
    if spark is not None:
        out["decontamination"] = decontamination_recall(spark)
    return out


if __name__ == "__main__":
    print(json.dumps(run(), indent=1, ensure_ascii=False))
