"""Our WARC text extraction (etl.bronze.formats.warc_html) against Common Crawl's WET text of the same pages.

For each real WARC whose WET exists (cc_whirlwind, cc_2014_npm_warc_fixtures), both files are read the way bronze
reads them (etl.bronze.reading.file_batches) and the pages are paired by URL. Per pair: character counts and their
ratio (WARC / WET), token-level Jaccard, the share of our tokens found in the WET text (containment: main content
should be inside the full-page text) and difflib's ratio over tokens; per side: pages with non-empty text, and
pages kept by gold's four quality families (gopher_quality, gopher_repetition, c4, fineweb; over silver's
normalised text and signals). The WARC without a WET (cc_warc_2020_resiliparse) reports its own side only.

Run: ``python evals/warc_extraction_eval.py`` prints the figures and writes reports/warc_extraction.json.
Needs ../shared/data (exits 0 with a note without it).
"""

from __future__ import annotations

import difflib
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from etl.bronze.formats.warc_html import (RESILIPARSE_OPTIONS, html_text, http_body, is_html,  # noqa: E402
                                           split_http)
from etl.bronze.reading import file_batches  # noqa: E402
from etl.bronze.records import KIND_DOCUMENT, KIND_FILE  # noqa: E402
from etl.config import IngestConfig  # noqa: E402
from etl.io.warc import Record, WarcReader  # noqa: E402
from etl.gold.rules import DEFAULT_RULES, first_failure  # noqa: E402
from etl.models.normalize import normalize_text  # noqa: E402
from etl.silver.quality import quality_signals  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
OUT = ROOT / "reports" / "warc_extraction.json"
CC2014 = "cc_2014_npm_warc_fixtures/CC-MAIN-20140820021334-00006-ip-10-180-136-8.ec2.internal.warc"
# (name, WARC, its WET or None), under ../shared/data
SOURCES = (
    ("cc_whirlwind", "cc_whirlwind/whirlwind.warc.gz", "cc_whirlwind/whirlwind.warc.wet.gz"),
    ("cc_2014", CC2014, CC2014 + ".wet"),
    ("cc_warc_2020", "cc_warc_2020_resiliparse/warcfile.warc.gz", None),
)
QUALITY_FAMILIES = ("gopher_quality", "gopher_repetition", "c4", "fineweb")
QUALITY_RULES = tuple(r for r in DEFAULT_RULES if r.family in QUALITY_FAMILIES)
DIGITS = 3
# The same pages with resiliparse's full-page mode: how much of the gap to WET is main-content selection.
FULL_PAGE_OPTIONS = {**RESILIPARSE_OPTIONS, "main_content": False}


def read(path: Path) -> tuple[dict[str, str], dict]:
    """url -> text of the documents bronze loads from one file, and its file row."""
    docs, file_row = {}, {}
    for batch in file_batches(str(path), IngestConfig()):
        for row in batch.to_pylist():
            if row["kind"] == KIND_DOCUMENT:
                docs[row["url"]] = row["text"]
            elif row["kind"] == KIND_FILE:
                file_row = row
    return docs, file_row


def full_page_texts(path: Path) -> dict[str, str]:
    """url -> full-page text (no main-content selection) of the HTML pages, through bronze's HTTP decoding."""
    from resiliparse.extract.html2text import extract_plain_text

    out = {}
    with open(path, "rb") as fh:
        for rec in WarcReader(fh):
            if not isinstance(rec, Record) or rec.type != "response":
                continue
            http = split_http(rec.payload)
            if http is None or http[0] != 200:
                continue
            body = http_body(http[1], http[2], IngestConfig().max_record_bytes)
            if body is not None and is_html(http[1], body):
                out[rec.headers["warc-target-uri"]] = extract_plain_text(html_text(http[1], body),
                                                                         **FULL_PAGE_OPTIONS).strip()
    return out


def kept_by_quality_rules(text: str) -> tuple[bool, str | None]:
    """Whether gold's quality families keep the text (as silver normalises it), and the first rule that drops it."""
    failure = first_failure(quality_signals(normalize_text(text) or ""), QUALITY_RULES)
    return failure is None, failure


def compare(ours: str, wet: str) -> dict:
    a, b = ours.lower().split(), wet.lower().split()
    sa, sb = set(a), set(b)
    return {
        "chars_warc": len(ours), "chars_wet": len(wet),
        "char_ratio": round(len(ours) / len(wet), DIGITS) if wet else None,
        "token_jaccard": round(len(sa & sb) / len(sa | sb), DIGITS) if sa | sb else None,
        "containment": round(len(sa & sb) / len(sa), DIGITS) if sa else None,
        "difflib_ratio": round(difflib.SequenceMatcher(None, a, b, autojunk=False).ratio(), DIGITS),
    }


def side(texts: dict[str, str], urls: list[str]) -> dict:
    nonempty = [u for u in urls if texts.get(u, "").strip()]
    verdicts = {u: kept_by_quality_rules(texts[u]) for u in nonempty}
    return {"pages": len(urls), "nonempty": len(nonempty),
            "nonempty_share": round(len(nonempty) / len(urls), DIGITS) if urls else None,
            "kept_by_quality_rules": sum(1 for k, _ in verdicts.values() if k),
            "dropped_by": sorted({f for k, f in verdicts.values() if not k})}


def evaluate(name: str, warc: Path, wet: Path | None) -> dict:
    ours, warc_row = read(warc)
    out = {"warc": str(warc.relative_to(SHARED)), "warc_file_status": warc_row["status"],
           "warc_documents": warc_row["documents"], "warc_skipped": json.loads(warc_row["detail"] or "{}"),
           "warc_side_all_pages": side(ours, sorted(ours))}
    if wet is None:
        return out
    theirs, _ = read(wet)
    both = sorted(set(ours) | set(theirs))
    paired = sorted(set(ours) & set(theirs))
    full = full_page_texts(warc)
    pairs = {u: {**compare(ours[u], theirs[u]),
                 "full_page": compare(full[u], theirs[u]) if u in full else None} for u in paired}
    out.update({
        "wet": str(wet.relative_to(SHARED)), "urls_in_either": len(both), "urls_in_both": len(paired),
        "only_in_warc": sorted(set(ours) - set(theirs)), "only_in_wet": sorted(set(theirs) - set(ours)),
        "warc_side": side(ours, both), "wet_side": side(theirs, both), "pairs": pairs,
    })
    return out


def summary(results: dict) -> dict:
    pairs = [p for r in results.values() for p in r.get("pairs", {}).values()]
    med = lambda key: round(statistics.median(p[key] for p in pairs), DIGITS) if pairs else None  # noqa: E731
    return {"pairs": len(pairs), "median_char_ratio": med("char_ratio"), "median_token_jaccard": med("token_jaccard"),
            "median_containment": med("containment"), "median_difflib_ratio": med("difflib_ratio"),
            "full_page_median_token_jaccard": round(statistics.median(
                p["full_page"]["token_jaccard"] for p in pairs if p["full_page"]), DIGITS) if pairs else None,
            "full_page_median_char_ratio": round(statistics.median(
                p["full_page"]["char_ratio"] for p in pairs if p["full_page"]), DIGITS) if pairs else None,
            "kept_warc": sum(r["warc_side"]["kept_by_quality_rules"] for r in results.values() if "warc_side" in r),
            "kept_wet": sum(r["wet_side"]["kept_by_quality_rules"] for r in results.values() if "wet_side" in r)}


def run() -> dict:
    results = {name: evaluate(name, SHARED / warc, SHARED / wet if wet else None) for name, warc, wet in SOURCES}
    return {"extractor": "resiliparse extract_plain_text main_content=True alt_texts=False",
            "summary": summary(results), "sources": results}


def main() -> int:
    if not SHARED.is_dir():
        print(f"skipped: {SHARED} not found")
        return 0
    report = run()
    for name, r in report["sources"].items():
        print(f"{name}: WARC {r['warc_documents']} documents, skipped {r['warc_skipped']}")
        for url, p in r.get("pairs", {}).items():
            print(f"  {url[:70]:70} chars {p['chars_warc']:>6}/{p['chars_wet']:<6} ratio {p['char_ratio']:<6} "
                  f"jaccard {p['token_jaccard']:<6} containment {p['containment']:<6} difflib {p['difflib_ratio']}")
            if p["full_page"]:
                f = p["full_page"]
                print(f"  {'  full-page mode':70} chars {f['chars_warc']:>6}/{f['chars_wet']:<6} ratio "
                      f"{f['char_ratio']:<6} jaccard {f['token_jaccard']:<6} difflib {f['difflib_ratio']}")
        for key in ("warc_side", "wet_side", "warc_side_all_pages"):
            if key in r:
                print(f"  {key:20} {r[key]}")
    print("summary:", report["summary"])
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
