"""Rebuild data/sample/ from ../shared/data (run once by a maintainer; the outputs are committed).

The 63 OSCAR records keep their original Common Crawl WET headers and OSCAR's copy of the payload; the WARC framing
(version line, header order, gzip members) is re-serialised by us, and WARC-Block-Digest is recomputed from the
payload we ship because OSCAR's text is not byte-identical to the crawl's block. See data/sample/PROVENANCE.md.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from etl.io.warc_writer import CONVERSION_HEADER_ORDER, block_digest, warcinfo_headers, write_wet  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
OUT = Path(__file__).resolve().parent / "sample"
OSCAR = SHARED / "cc_wet_records_2021_oscar_jsonl" / "oscar_22.01_sample_63docs.jsonl"
WET_NAME = "CC-MAIN-2021-39-oscar63.warc.wet.gz"
CLOUGH = SHARED / "neardup_clough_stevenson_plagiarism"
DUP_NAME = "GENERATED-duplicates-clough-stevenson-and-mirrors.warc.wet.gz"
# OSCAR records re-published verbatim under a mirror URL: planted exact duplicates. Records 0, 5 and 17 (and their
# copies) are dropped by quality filters before dedup; 23 (ru), 39 (es) and 53 (de) pass every filter, so exact dedup
# removes their copies and `make run`'s funnel shows it.
MIRRORED = (0, 5, 17, 23, 39, 53)


def read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:  # 17 of the corpus files are cp1252
        return data.decode("cp1252")


def duplicate_records():
    """GENERATED framing around real texts: the Clough-Stevenson answers (real human near-duplicates of 5
    Wikipedia sources) and verbatim mirrors of three OSCAR records, with synthetic URLs and record ids."""
    import uuid

    info_headers, info_body = warcinfo_headers(DUP_NAME, "CC-MAIN-2021-39")
    yield info_headers, info_body
    for path in sorted((CLOUGH / "texts").glob("*.txt")):
        text = read_text(path).replace("\r\n", "\n").strip() + "\n"
        headers = {
            "WARC-Type": "conversion",
            "WARC-Target-URI": f"https://clough-stevenson.example/{path.stem}",
            "WARC-Date": "2021-09-16T00:00:00Z",
            "WARC-Record-ID": f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'clough/' + path.stem)}>",
            "WARC-Identified-Content-Language": "eng",
            "Content-Type": "text/plain",
        }
        headers["WARC-Block-Digest"] = block_digest(text.encode("utf-8"))
        yield headers, text.encode("utf-8")
    lines = OSCAR.read_text(encoding="utf-8").splitlines()
    for i in MIRRORED:
        doc = json.loads(lines[i])
        headers = {
            "WARC-Type": "conversion",
            "WARC-Target-URI": f"https://mirror.example/copy-of/{i}",
            "WARC-Date": "2021-09-20T00:00:00Z",
            "WARC-Record-ID": f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'mirror/{i}')}>",
            "WARC-Identified-Content-Language": doc["warc_headers"]["warc-identified-content-language"],
            "Content-Type": "text/plain",
        }
        headers["WARC-Block-Digest"] = block_digest(doc["content"].encode("utf-8"))
        yield headers, doc["content"].encode("utf-8")


def oscar_records():
    info_headers, info_body = warcinfo_headers(WET_NAME, "CC-MAIN-2021-39")
    yield info_headers, info_body
    for line in OSCAR.read_text(encoding="utf-8").splitlines():
        doc = json.loads(line)
        original = {k.lower(): v for k, v in doc["warc_headers"].items()}
        headers = {}
        for name in CONVERSION_HEADER_ORDER:
            if name.lower() in original:
                headers[name] = original[name.lower()]
        payload = doc["content"].encode("utf-8")
        assert len(payload) == int(original["content-length"]), "payload must be as long as the original block"
        # None of the 63 original digests verifies against OSCAR's text: ship a digest of what we ship.
        headers["WARC-Block-Digest"] = block_digest(payload)
        yield headers, payload


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / WET_NAME, "wb") as fh:
        n = write_wet(fh, oscar_records())
    with open(OUT / DUP_NAME, "wb") as fh:
        write_wet(fh, duplicate_records())
    shutil.copy(SHARED / "cc_whirlwind" / "whirlwind.warc.wet.gz", OUT / "CC-MAIN-2024-22-whirlwind.warc.wet.gz")
    shutil.copy(SHARED / "cc_wet_2016_fragments" / "appended_zip_fragment_unexpected_eof.wet.gz",
                OUT / "CC-MAIN-2016-50-truncated-download.wet.gz")
    print(f"wrote {n} records to {OUT / WET_NAME}")


if __name__ == "__main__":
    main()
