"""WARC: HTTP `response` records holding HTML, turned into text here (resiliparse's main-content extraction by
default, trafilatura on request) instead of taking Common Crawl's WET text.

Read with the same damage-tolerant reader as WET (etl.io.warc), so damage is quarantined the same way. Records that
are no HTML page (request, metadata, non-HTML types, HTTP status other than 200) and HTML pages whose extraction is
empty are counted as skipped (the file row's ``detail`` gives the breakdown), not quarantined.
"""

from __future__ import annotations

import re
import zlib
from typing import Iterator

from etl.bronze.formats.base import Document, DocumentFormat, OpenedFile, Problem, Refused, Skipped
from etl.bronze.formats.wet import WET_TYPES, first_record_type
from etl.bronze.records import parse_warc_date
from etl.config import DIGEST_FLAG, EXTRACTOR_TRAFILATURA, IngestConfig
from etl.io.warc import Damage, StreamStats, WarcReader, crawl_id_from

# Record types that open a crawl's WARC (after warcinfo); a WAT file starts with metadata, a WET with conversion.
CRAWL_TYPES = frozenset({"request", "response", "resource", "revisit"})
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
HTML_START = re.compile(rb"\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)", re.IGNORECASE | re.DOTALL)
STATUS_LINE = re.compile(rb"HTTP/\d(?:\.\d)?\s+(\d{3})")
CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)
HTTP_OK = 200
# resiliparse's main-content mode; image alt texts left out as WET leaves them out (a thumbnail gallery's
# "photo No. 1 photo No. 2 ..." made one measured page 45x longer than its WET text).
RESILIPARSE_OPTIONS = {"main_content": True, "alt_texts": False}
WARC_INFO, WARC_RESPONSE = "warcinfo", "response"
GZIP_OR_ZLIB_WBITS = 47  # zlib: accept a gzip or a zlib header
RAW_DEFLATE_WBITS = -15
HEAD_SEARCH_BYTES = 2048  # where a body's first tag is looked for when the response names no Content-Type
# Skip reasons (keys of the file row's breakdown).
SKIP_NOT_HTTP, SKIP_STATUS, SKIP_NOT_HTML = "not_http", "http_status_not_200", "not_html"
SKIP_UNDECODABLE, SKIP_EMPTY_TEXT = "undecodable_body", "empty_extraction"


def split_http(block: bytes) -> tuple[int, dict[str, str], bytes] | None:
    """(status code, lower-cased headers, body) of an HTTP response block; None when it is no HTTP response."""
    m = STATUS_LINE.match(block)
    if m is None:
        return None
    end = block.find(b"\r\n\r\n")
    sep = 4
    if end < 0:
        end, sep = block.find(b"\n\n"), 2
    if end < 0:
        end, sep = len(block), 0
    headers: dict[str, str] = {}
    for line in block[:end].decode("latin-1").splitlines()[1:]:
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    return int(m.group(1)), headers, block[end + sep:]


def dechunk(body: bytes) -> bytes | None:
    """A chunked transfer-encoded body, joined; None when it is not well-formed chunks."""
    out, pos = [], 0
    while True:
        eol = body.find(b"\r\n", pos)
        if eol < 0:
            return None
        try:
            size = int(body[pos:eol].split(b";", 1)[0].strip(), 16)
        except ValueError:
            return None
        if size == 0:
            return b"".join(out)
        out.append(body[eol + 2 : eol + 2 + size])
        pos = eol + 2 + size + 2


def inflate(body: bytes, encoding: str, limit: int) -> bytes | None:
    """A Content-Encoding (gzip, deflate, br) undone, at most ``limit`` bytes; None when it cannot be."""
    encoding = encoding.lower().strip()
    try:
        if encoding in ("gzip", "x-gzip", "deflate"):
            for wbits in (GZIP_OR_ZLIB_WBITS, RAW_DEFLATE_WBITS):
                try:
                    return zlib.decompressobj(wbits).decompress(body, limit)
                except zlib.error:
                    continue
            return None
        if encoding == "br":
            import brotli  # a dependency of fastwarc

            return brotli.decompress(body)[:limit]
    except Exception:  # a corrupt body: the page is skipped, not the file
        return None
    return body if encoding in ("", "identity") else None


def http_body(headers: dict[str, str], body: bytes, limit: int) -> bytes | None:
    """The entity body as the server meant it. Common Crawl stores bodies decoded (and renames the headers to
    X-Crawler-*), older crawls did not always: a body still chunked or compressed is decoded here."""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        joined = dechunk(body)
        body = joined if joined is not None else body
    encoding = headers.get("content-encoding", "")
    if not encoding:
        return body
    inflated = inflate(body, encoding, limit)
    if inflated is None and HTML_START.match(body[:HEAD_SEARCH_BYTES]):
        return body  # the header says compressed, the body is not: the crawler decoded it and kept the header
    return inflated


def is_html(headers: dict[str, str], body: bytes) -> bool:
    mime = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if mime:
        return mime in HTML_TYPES
    return HTML_START.match(body[:HEAD_SEARCH_BYTES]) is not None


def html_text(headers: dict[str, str], body: bytes) -> str:
    """The body decoded with the charset the header names, else the one resiliparse detects (meta tags too)."""
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding

    m = CHARSET.search(headers.get("content-type", ""))
    encoding = m.group(1) if m else detect_encoding(body, from_html_meta=True)
    return bytes_to_str(body, encoding)


def extract_text(html: str, extractor: str) -> str:
    """Main-content text of an HTML page (resiliparse's extract_plain_text, or trafilatura)."""
    if extractor == EXTRACTOR_TRAFILATURA:
        import trafilatura  # optional: pip install trafilatura

        return (trafilatura.extract(html, include_comments=False) or "").strip()
    from resiliparse.extract.html2text import extract_plain_text

    return extract_plain_text(html, **RESILIPARSE_OPTIONS).strip()


def _check_extractor(extractor: str) -> None:
    """Refuse the file up front (retried later) when this worker lacks the extractor's package."""
    package = "trafilatura" if extractor == EXTRACTOR_TRAFILATURA else "resiliparse"
    try:
        __import__(package)
    except ImportError:
        raise Refused(f"WARC text extraction needs {package} on the Spark workers (pip install {package})") from None


class WarcHtmlFormat(DocumentFormat):
    name = "warc"
    suffixes = (".warc", ".warc.gz")
    reads_warc = True

    def sniff(self, head: bytes) -> bool | None:
        kind = first_record_type(head)
        if kind in CRAWL_TYPES:
            return True
        return False if kind in WET_TYPES else None  # metadata first: a WAT file (JSON metadata), not ours

    def items(self, src: OpenedFile, cfg: IngestConfig,
              stats: StreamStats) -> Iterator[Document | Problem | Skipped]:
        _check_extractor(cfg.extractor)
        crawl_id = crawl_id_from(src.path)
        reader = WarcReader(src.stream, cfg.max_record_bytes, cfg.snippet_chars, cfg.max_decompression_ratio,
                            cfg.max_file_seconds, stats=stats)
        for item in reader:
            if isinstance(item, Damage):
                yield Problem(item.offset, item.reason, item.detail, item.snippet, item.record_id)
                continue
            kind, h = item.type, item.headers
            if kind == WARC_INFO:
                crawl_id = crawl_id_from(item.payload[:4096].decode("utf-8", "replace")) or crawl_id
                yield Skipped(kind, counted=False)
                continue
            if kind != WARC_RESPONSE:
                yield Skipped(kind)
                continue
            yield from self._page(item, h, crawl_id, cfg)

    @staticmethod
    def _page(rec, h: dict[str, str], crawl_id: str | None,
              cfg: IngestConfig) -> Iterator[Document | Problem | Skipped]:
        """What one response record gives: a document, a quarantine row (and with on_digest_mismatch=flag both),
        or a counted skip."""
        record_id, url = h.get("warc-record-id"), h.get("warc-target-uri")
        if not record_id or not url:
            missing = "WARC-Record-ID" if not record_id else "WARC-Target-URI"
            yield Problem(rec.offset, "malformed_header", f"response record without {missing}", rec.payload,
                          record_id, record=True)
            return
        if rec.digest_ok is False:
            keep = cfg.on_digest_mismatch == DIGEST_FLAG
            yield Problem(rec.offset, "digest_mismatch", "WARC-Block-Digest does not match the block"
                          + (" (loaded: on_digest_mismatch=flag)" if keep else ""), rec.payload, record_id,
                          record=not keep)
            if not keep:
                return
        yield WarcHtmlFormat._convert(rec, h, record_id, url, crawl_id, cfg)

    @staticmethod
    def _convert(rec, h: dict[str, str], record_id: str, url: str, crawl_id: str | None,
                 cfg: IngestConfig) -> Document | Skipped:
        http = split_http(rec.payload)
        if http is None:
            return Skipped(SKIP_NOT_HTTP)
        status, headers, body = http
        if status != HTTP_OK:
            return Skipped(SKIP_STATUS)
        body = http_body(headers, body, cfg.max_record_bytes)
        if body is None:
            return Skipped(SKIP_UNDECODABLE)
        if not is_html(headers, body):
            return Skipped(SKIP_NOT_HTML)
        text = extract_text(html_text(headers, body), cfg.extractor)
        if not text:
            return Skipped(SKIP_EMPTY_TEXT)
        return Document(text, record_id, rec.offset, url, parse_warc_date(h.get("warc-date")), crawl_id,
                        len(rec.payload), warc_block_digest=h.get("warc-block-digest"))
