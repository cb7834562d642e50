"""Write WET files (WARC files of conversion records) the way Common Crawl does: warcinfo first, one gzip member
per record.

Used to rebuild the bundled sample from real records with their original headers, and to generate
labelled synthetic data for tests and benchmarks.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import uuid
from datetime import datetime, timezone
from typing import BinaryIO, Iterable, Mapping

CRLF = b"\r\n"
# Header order as Common Crawl writes conversion records.
CONVERSION_HEADER_ORDER = (
    "WARC-Type", "WARC-Target-URI", "WARC-Date", "WARC-Record-ID", "WARC-Refers-To", "WARC-Block-Digest",
    "WARC-Identified-Content-Language", "Content-Type", "Content-Length",
)
GZIP_LEVEL = 6  # zlib's default, what CC's writer uses


def block_digest(payload: bytes) -> str:
    """WARC-Block-Digest as Common Crawl writes it: sha1 of the block, base32."""
    return "sha1:" + base64.b32encode(hashlib.sha1(payload).digest()).decode("ascii")


def record_bytes(headers: Mapping[str, str], payload: bytes) -> bytes:
    """One WARC/1.0 record: version line, headers, blank line, payload, two CRLFs. Content-Length is recomputed."""
    lines = [b"WARC/1.0"]
    for name, value in headers.items():
        if name.lower() == "content-length":
            continue
        lines.append(f"{name}: {value}".encode("utf-8"))
    lines.append(f"Content-Length: {len(payload)}".encode("ascii"))
    return CRLF.join(lines) + CRLF + CRLF + payload + CRLF + CRLF


def warcinfo_headers(filename: str, crawl_id: str, date: datetime | None = None) -> tuple[dict[str, str], bytes]:
    date = date or datetime(2021, 9, 16, tzinfo=timezone.utc)
    body = (
        f"Software-Info: cc-wet-etl wet_writer\r\nisPartOf: {crawl_id}\r\n"
        f"description: written by cc-wet-etl from records with their original headers\r\n"
    ).encode("utf-8")
    headers = {
        "WARC-Type": "warcinfo",
        "WARC-Date": date.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "WARC-Filename": filename,
        "WARC-Record-ID": f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, filename)}>",
        "Content-Type": "application/warc-fields",
    }
    return headers, body


def conversion_headers(url: str, record_id: str, date: str, languages: str | None = None,
                       extra: Mapping[str, str] | None = None) -> dict[str, str]:
    headers = {"WARC-Type": "conversion", "WARC-Target-URI": url, "WARC-Date": date, "WARC-Record-ID": record_id}
    if languages:
        headers["WARC-Identified-Content-Language"] = languages
    headers.update(extra or {})
    headers["Content-Type"] = "text/plain"
    return headers


def write_wet(out: BinaryIO, records: Iterable[tuple[Mapping[str, str], bytes]], per_record_gzip: bool = True) -> int:
    """Write records to `out` (gzip member per record, or plain); returns the number written."""
    n = 0
    for headers, payload in records:
        data = record_bytes(headers, payload)
        out.write(gzip.compress(data, GZIP_LEVEL, mtime=0) if per_record_gzip else data)
        n += 1
    return n
