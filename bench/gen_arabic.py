"""GENERATED Arabic WET set with planted answers, for the Arabic recipe (URL filter, normalisation, quality, dedup).

Texts are real sentences re-assembled: Arabic from the non-hateful cases of Multilingual HateCheck (the
tests/data slice, plus ../shared/data's full Arabic file when present), English and French from the real
Common Crawl records in tests/data/oscar_2021. Without ../shared/data the Arabic pool is the slice's 20 cases
(mild non-hateful profanity), so documents repeat each other far more: use the shared file for real runs.
Everything else is generated: documents, URLs, record ids and the
planted categories listed in CATEGORIES. Every file name starts with ``GENERATED-arabic-`` and the warcinfo
record says GENERATED. ``generate`` also writes the ground truth (URL -> category, copy -> original) and the domain
blocklist the ``blocklisted_domain`` documents are meant to hit.

    python bench/gen_arabic.py --out data/arabic_sample --n-docs 300
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import json
import random
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from etl.io.warc_writer import conversion_headers, warcinfo_headers, write_wet
from etl.silver.toxicity import score_document

ROOT = Path(__file__).resolve().parents[1]
HATECHECK_SLICE = ROOT / "tests" / "data" / "hatecheck" / "hatecheck_slice.csv"
HATECHECK_FULL = ROOT.parent / "shared" / "data" / "toxicity_multilingual_hatecheck" / "hatecheck_cases_final_arabic.csv"
OSCAR_RECORDS = ROOT / "tests" / "data" / "oscar_2021" / "oscar_22.01_sample_63docs.jsonl"

CRAWL_ID = "CC-MAIN-2099-01"  # not a real crawl: marks the data as generated
WARC_DATE = "2099-01-01T00:00:00Z"
FILE_PREFIX = "GENERATED-arabic"
DEFAULT_SEED = 11
DEFAULT_DOCS_PER_FILE = 500
MIN_DOCS = 20  # below this, some category would get no document

# HateCheck functionalities whose non-hateful cases read as ordinary statements about people and things. Left out,
# because they would make "clean" documents trip the toxicity and bad-word signals: profanity_nh (non-hateful
# swearing), counter_quote_nh / counter_ref_nh (they quote the hate they answer) and target_group_nh /
# target_indiv_nh (abuse aimed at non-protected targets: "you are an insect"). Sentences with an LDNOOBW term
# or a toxicity tier above "none" (etl.silver.toxicity) are dropped as well.
PLAIN_FUNCTIONALITIES = frozenset({"ident_pos_nh", "ident_neutral_nh", "negate_neg_nh", "target_obj_nh"})
MIN_PLAIN_SENTENCES = 50  # the tests/data slice alone has none: then every non-hateful case is used

# Category -> share of the documents; "clean" takes whatever the others leave.
CATEGORIES: dict[str, float] = {
    "clean": 0.0,
    "near_duplicate": 0.08,  # a clean document with a few words changed
    "exact_duplicate": 0.06,  # a clean document, byte for byte, at another URL
    "diacritics_variant": 0.06,  # a clean document with harakat and tatweel added: equal after normalisation
    "spam_repeated_lines": 0.05,
    "spam_menu": 0.05,  # navigation-like short lines
    "banned_url": 0.05,  # clean text, banned words in the URL
    "blocklisted_domain": 0.05,  # clean text on a host under a blocklisted domain
    "non_arabic": 0.10,  # English or French Common Crawl text
}
COPY_CATEGORIES = ("near_duplicate", "exact_duplicate", "diacritics_variant")

# Document shape: paragraphs of sentences joined on one line (one line per paragraph, as WET text often is).
PARAGRAPHS = (3, 6)
SENTENCES_PER_PARAGRAPH = (4, 7)  # at least 12 sentences: above Gopher's 50-word minimum
WORDS_PER_CHANGE = 60  # near duplicates change one word per this many: 5-gram Jaccard stays about 0.8
MAX_FOREIGN_CHARS = 4000
MISSING_HEADER_SHARE = {"ar": 0.1, "other": 0.2}  # CC has no language header on some records

HARAKAT = "\u064e\u064f\u0650\u0652\u0651\u064b"  # fatha damma kasra sukun shadda fathatan
TATWEEL = "\u0640"
DIACRITIC_SHARE = 0.3  # of Arabic letters that get a mark
TATWEEL_SHARE = 0.05
ARABIC_LETTERS = frozenset(chr(cp) for cp in range(0x0621, 0x064B)) - {TATWEEL}

# Navigation and footer lines written for the menu-spam documents (typical Arabic site chrome).
MENU_LINES = (
    "الرئيسية", "أخبار", "رياضة", "اقتصاد", "ثقافة", "فيديو", "من نحن", "اتصل بنا", "سياسة الخصوصية",
    "تسجيل الدخول", "إنشاء حساب", "القائمة", "بحث", "الأكثر قراءة", "جميع الحقوق محفوظة © 2099", "تابعونا",
)
SECTIONS = ("akhbar", "maqalat", "riyada", "thaqafa", "mujtama", "tech")
SUFFIXES = ("com", "com.sa", "com.eg", "ae", "net", "org", "com.jo", "ma")
BANNED_PATHS = ("videos/free-porn-{n}", "gallery/sexy-nude-{n}", quote("نيك") + "-{n}", "xxx/{n}")
BLOCKLIST_DOMAINS = tuple(f"gen-spam-{k}.net" for k in range(5)) + ("gen-ads.com.sa",)
BLOCKLIST_SUBDOMAINS = ("", "www.", "ads.", "m.cdn.")


@dataclass(frozen=True)
class Doc:
    url: str
    text: str
    category: str
    language_header: str | None
    duplicate_of: str | None = None


def arabic_sentences() -> list[str]:
    """Non-hateful Arabic HateCheck cases, plain functionalities first (see PLAIN_FUNCTIONALITIES)."""
    rows = []
    if HATECHECK_FULL.is_file():
        with HATECHECK_FULL.open(encoding="utf-8", newline="") as fh:
            rows.extend(csv.DictReader(fh))
    with HATECHECK_SLICE.open(encoding="utf-8", newline="") as fh:
        rows.extend(r for r in csv.DictReader(fh) if r["language"] == "arabic")
    nonhateful = [r for r in rows if r["label_gold"] == "non-hateful"]
    plain = [r for r in nonhateful if r["functionality"] in PLAIN_FUNCTIONALITIES]
    chosen = plain if len(plain) >= MIN_PLAIN_SENTENCES else nonhateful
    cases = {r["test_case"].strip() for r in chosen}
    return sorted(c for c in cases if c and _harmless(score_document(c, "ar")))


def _harmless(scores: dict) -> bool:
    return not scores["obscenity_hits"] and scores["tox_tier"] == "none"


def foreign_texts() -> list[tuple[str, str]]:
    """(CC language code, text) of the English and French OSCAR records, cut at a line near MAX_FOREIGN_CHARS."""
    out = []
    for raw in OSCAR_RECORDS.read_text(encoding="utf-8").splitlines():
        record = json.loads(raw)
        label = record["metadata"]["identification"]["label"]
        if label not in ("en", "fr"):
            continue
        lines, size = [], 0
        for line in record["content"].split("\n"):
            if size + len(line) > MAX_FOREIGN_CHARS and lines:
                break
            lines.append(line)
            size += len(line) + 1
        out.append(({"en": "eng", "fr": "fra"}[label], "\n".join(lines)))
    return out


def _paragraphs(rng: random.Random, sentences: list[str]) -> str:
    """Paragraphs of distinct sentences (a sentence drawn twice would be a planted repetition)."""
    sizes = [rng.randint(*SENTENCES_PER_PARAGRAPH) for _ in range(rng.randint(*PARAGRAPHS))]
    total = sum(sizes)
    picks = rng.sample(sentences, total) if len(sentences) >= total else rng.choices(sentences, k=total)
    paras, start = [], 0
    for size in sizes:
        paras.append(" ".join(picks[start:start + size]))
        start += size
    return "\n\n".join(paras)


def _change_words(rng: random.Random, text: str, vocabulary: list[str]) -> str:
    """Replace a few words (one per WORDS_PER_CHANGE) by other words of the pool, keeping the layout."""
    lines = [line.split(" ") for line in text.split("\n")]
    slots = [(i, j) for i, words in enumerate(lines) for j, w in enumerate(words) if w]
    for i, j in rng.sample(slots, max(1, len(slots) // WORDS_PER_CHANGE)):
        old = lines[i][j]
        lines[i][j] = rng.choice([w for w in vocabulary if w != old])
    return "\n".join(" ".join(words) for words in lines)


def _decorate(rng: random.Random, text: str) -> str:
    """Add one haraka to some Arabic letters and tatweel inside some words (both removed by normalisation)."""
    out = []
    for i, ch in enumerate(text):
        out.append(ch)
        if ch not in ARABIC_LETTERS:
            continue
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if nxt in ARABIC_LETTERS and rng.random() < TATWEEL_SHARE:
            out.append(TATWEEL)
        elif rng.random() < DIACRITIC_SHARE:
            out.append(rng.choice(HARAKAT))
    return "".join(out)


def _site_url(rng: random.Random, n: int) -> str:
    host = f"www.gen-site-{rng.randrange(40)}.{rng.choice(SUFFIXES)}"
    return f"https://{host}/{rng.choice(SECTIONS)}/{n}"


def _plan(n_docs: int) -> list[str]:
    counts = {c: max(1, round(share * n_docs)) for c, share in CATEGORIES.items() if c != "clean"}
    counts["clean"] = n_docs - sum(counts.values())
    return [c for c in CATEGORIES for _ in range(counts[c])]


def build_docs(n_docs: int, seed: int = DEFAULT_SEED) -> list[Doc]:
    """The documents, in file order; same arguments and inputs, same documents."""
    if n_docs < MIN_DOCS:
        raise ValueError(f"n_docs must be >= {MIN_DOCS} so every category gets a document, got {n_docs}")
    rng = random.Random(seed)
    sentences = arabic_sentences()
    vocabulary = sorted({w for s in sentences for w in s.split()})
    foreign = foreign_texts()
    plan = _plan(n_docs)
    clean: list[Doc] = []
    docs: list[Doc] = []

    def ar_header() -> str | None:
        return None if rng.random() < MISSING_HEADER_SHARE["ar"] else "ara"

    for n, category in enumerate(plan):
        url = _site_url(rng, n)
        if category == "clean":
            doc = Doc(url, _paragraphs(rng, sentences), category, ar_header())
            clean.append(doc)
        elif category in COPY_CATEGORIES:
            base = rng.choice(clean)
            text = {
                "near_duplicate": lambda: _change_words(rng, base.text, vocabulary),
                "exact_duplicate": lambda: base.text,
                "diacritics_variant": lambda: _decorate(rng, base.text),
            }[category]()
            doc = Doc(url, text, category, ar_header(), duplicate_of=base.url)
        elif category == "spam_repeated_lines":
            line = rng.choice(sentences)
            lines = [line] * rng.randint(20, 40) + [rng.choice(sentences) for _ in range(3)]
            doc = Doc(url, "\n".join(lines), category, ar_header())
        elif category == "spam_menu":
            menu = [rng.choice(MENU_LINES) for _ in range(rng.randint(25, 40))]
            doc = Doc(url, "\n".join(menu + [rng.choice(sentences)]), category, ar_header())
        elif category == "banned_url":
            path = rng.choice(BANNED_PATHS).format(n=n)
            doc = Doc(f"https://www.gen-site-{rng.randrange(40)}.com/{path}", _paragraphs(rng, sentences), category,
                      ar_header())
        elif category == "blocklisted_domain":
            host = rng.choice(BLOCKLIST_SUBDOMAINS) + rng.choice(BLOCKLIST_DOMAINS)
            doc = Doc(f"https://{host}/{rng.choice(SECTIONS)}/{n}", _paragraphs(rng, sentences), category,
                      ar_header())
        else:  # non_arabic
            code, text = rng.choice(foreign)
            header = None if rng.random() < MISSING_HEADER_SHARE["other"] else code
            doc = Doc(url.replace("gen-site", f"gen-{code}-site"), text, category, header)
        docs.append(doc)
    # The plan keeps copies after their originals; shuffling makes the set look like a crawl.
    rng.shuffle(docs)
    return docs


def _block_digest(payload: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(payload).digest()).decode("ascii")


def _records(doc_list: list[Doc], filename: str, seed: int, first: int):
    headers, _ = warcinfo_headers(filename, CRAWL_ID)
    body = (
        f"Software-Info: cc-wet-etl bench/gen_arabic.py\r\nisPartOf: {CRAWL_ID}\r\n"
        f"description: GENERATED Arabic test set (seed {seed}); texts re-assembled from Multilingual HateCheck "
        f"and OSCAR Common Crawl records\r\n"
    ).encode("utf-8")
    yield headers, body
    for k, doc in enumerate(doc_list, start=first):
        payload = doc.text.encode("utf-8")
        record_id = f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'gen-arabic/{seed}/{k}')}>"
        extra = {"WARC-Block-Digest": _block_digest(payload)}
        yield conversion_headers(doc.url, record_id, WARC_DATE, doc.language_header, extra), payload


def ground_truth_path(out_dir: Path, seed: int = DEFAULT_SEED) -> Path:
    return Path(out_dir) / f"{FILE_PREFIX}-{seed}-truth.json"


def blocklist_path(out_dir: Path, seed: int = DEFAULT_SEED) -> Path:
    return Path(out_dir) / f"{FILE_PREFIX}-{seed}-blocklist.txt"


def generate(out_dir: Path, n_docs: int = 300, seed: int = DEFAULT_SEED,
             docs_per_file: int = DEFAULT_DOCS_PER_FILE) -> list[Path]:
    """Write the WET files (``GENERATED-arabic-<seed>-<i>.warc.wet.gz``), the ground truth and the blocklist.

    Returns the WET paths. Output is byte-identical for the same arguments and the same input files.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    docs = build_docs(n_docs, seed)
    paths = []
    for i, first in enumerate(range(0, len(docs), docs_per_file)):
        path = out_dir / f"{FILE_PREFIX}-{seed}-{i:03d}.warc.wet.gz"
        with path.open("wb") as fh:
            write_wet(fh, _records(docs[first:first + docs_per_file], path.name, seed, first))
        paths.append(path)
    truth = {
        "description": "GENERATED by bench/gen_arabic.py: planted category of every document, by URL",
        "seed": seed,
        "n_docs": len(docs),
        "categories": {d.url: d.category for d in docs},
        "duplicate_of": {d.url: d.duplicate_of for d in docs if d.duplicate_of},
        "language_header": {d.url: d.language_header for d in docs},
        "blocklist": blocklist_path(out_dir, seed).name,
    }
    ground_truth_path(out_dir, seed).write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n",
                                                encoding="utf-8")
    blocklist_path(out_dir, seed).write_text(
        "# GENERATED blocklist for the GENERATED-arabic set: each domain also blocks its subdomains\n"
        + "\n".join(BLOCKLIST_DOMAINS) + "\n", encoding="utf-8")
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / ".cache" / "bench" / "arabic")
    parser.add_argument("--n-docs", type=int, default=300)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--docs-per-file", type=int, default=DEFAULT_DOCS_PER_FILE)
    args = parser.parse_args(argv)
    for path in generate(args.out, args.n_docs, args.seed, args.docs_per_file):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
