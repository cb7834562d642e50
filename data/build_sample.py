"""Rebuild data/sample/ from ../shared/data (run once by a maintainer; the outputs are committed).

The 63 OSCAR records keep their original Common Crawl WET headers and byte-exact payloads; only the WARC framing
(version line, header order, gzip members) is re-serialised by us. See data/sample/PROVENANCE.md.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from etl.io.wet_writer import CONVERSION_HEADER_ORDER, warcinfo_headers, write_wet  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
OUT = Path(__file__).resolve().parent / "sample"
OSCAR = SHARED / "cc_wet_records_2021_oscar_jsonl" / "oscar_22.01_sample_63docs.jsonl"
WET_NAME = "CC-MAIN-2021-39-oscar63.warc.wet.gz"


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
        assert len(payload) == int(original["content-length"]), "payload must be byte-exact"
        yield headers, payload


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / WET_NAME, "wb") as fh:
        n = write_wet(fh, oscar_records())
    shutil.copy(SHARED / "cc_whirlwind" / "whirlwind.warc.wet.gz", OUT / "CC-MAIN-2024-22-whirlwind.warc.wet.gz")
    shutil.copy(SHARED / "cc_wet_2016_fragments" / "appended_zip_fragment_unexpected_eof.wet.gz",
                OUT / "CC-MAIN-2016-50-truncated-download.wet.gz")
    print(f"wrote {n} records to {OUT / WET_NAME}")


if __name__ == "__main__":
    main()
