"""WET: Common Crawl's extracted text, one `conversion` record per page (the format this package began with).

Its reading (`wet_file_batches`) is bronze's hot path: it fills the envelope's columns straight from etl.io.warc's
records rather than through `DocumentFormat`'s items.
"""

from __future__ import annotations

import re
import time
from typing import Iterator

import pyarrow as pa

from etl.bronze.records import (KIND_FILE, KIND_QUARANTINE, LIMIT_REASONS, NOT_WARC_DETAIL, STATUS_EMPTY,
                                STATUS_NOT_WARC, STATUS_OK, OpenedFile, _Batch, _file_status, _snippet, doc_id_for,
                                host_of, parse_warc_date, read_failure, split_languages)
from etl.config import DIGEST_FLAG, IngestConfig
from etl.io.warc import Damage, Record, WarcReader, crawl_id_from

# The WARC-Type of the first record after warcinfo: "conversion" in a WET file, request/response/... in a WARC.
WARC_TYPE = re.compile(rb"\r?\nWARC-Type:[ \t]*([A-Za-z]+)", re.IGNORECASE)
INFO_TYPES = frozenset({"warcinfo"})
WET_TYPES = frozenset({"conversion"})
WARC_TYPES = frozenset({"response", "request", "metadata", "resource", "revisit", "continuation"})


def first_record_type(head: bytes) -> str | None:
    """The WARC-Type of the first record in ``head`` that is not warcinfo (lower-cased); None when none shows."""
    if not head.lstrip()[:8].startswith(b"WARC/1."):
        return None
    for m in WARC_TYPE.finditer(head):
        kind = m.group(1).decode("ascii").lower()
        if kind not in INFO_TYPES:
            return kind
    return None


class WetFormat:
    name = "wet"
    suffixes = (".wet", ".wet.gz")

    def sniff(self, head: bytes) -> bool | None:
        kind = first_record_type(head)
        if kind in WET_TYPES:
            return True
        return False if kind in WARC_TYPES else None  # damaged, or only warcinfo so far: a .wet name decides

    def records(self, src: OpenedFile, cfg: IngestConfig) -> Iterator[pa.RecordBatch]:
        return wet_file_batches(src, cfg)


def wet_file_batches(src: OpenedFile, cfg: IngestConfig) -> Iterator[pa.RecordBatch]:
    """The WET format: conversion records -> documents, damage -> quarantine rows, the file row last."""
    source_file, raw, size, started, t0 = src.path, src.stream, src.size, src.started_at, src.t0
    counts = {"records_total": 0, "documents": 0, "quarantined": 0, "skipped_other_types": 0}
    cols = _Batch()
    seen: dict[str, int] = {}  # doc id -> offset of its first record in this file
    crawl_id = crawl_id_from(source_file)
    status, error = STATUS_OK, None
    reader: WarcReader | None = None
    last_damage: str | None = None  # the reason of the last item if it was damage: a cut-off end shows here

    def quarantine(offset, reason, detail, snippet=b"", record_id=None):
        counts["quarantined"] += 1
        cols.add(
            kind=KIND_QUARANTINE, source_file=source_file, record_offset=offset, reason=reason, detail=detail,
            warc_record_id=record_id, snippet=_snippet(snippet, cfg.snippet_chars),
        )

    try:
        reader = WarcReader(raw, cfg.max_record_bytes, cfg.snippet_chars, cfg.max_decompression_ratio,
                            cfg.max_file_seconds)
        for item in reader:
            if isinstance(item, Damage):
                quarantine(item.offset, item.reason, item.detail, item.snippet, item.record_id)
                last_damage = item.reason
                continue
            last_damage = None
            counts["records_total"] += 1
            crawl_id = _handle_record(item, source_file, crawl_id, cols, counts, quarantine, cfg, seen)
            if cols.rows >= cfg.batch_rows or cols.text_bytes >= cfg.batch_text_bytes:
                yield from cols.batches()
                cols = _Batch()
    except Exception as exc:  # never let one file kill the task: record it and move on
        status, reason, error = read_failure(exc)
        quarantine(None, reason, error)
    stats = reader.stats if reader else None
    read_whole = stats is not None and status == STATUS_OK and last_damage not in LIMIT_REASONS
    if size is None and read_whole:
        size = stats.bytes_read  # read to the end, so what was read is the size
    if status == STATUS_OK:
        status = _file_status(counts, last_damage, warc=True)
        if stats is not None and stats.bytes_read == 0:  # read again once it has bytes (its size changes)
            quarantine(None, "empty_file", "the file has no bytes (a failed download or copy?)")
            status = STATUS_EMPTY
        if status == STATUS_NOT_WARC:
            error = NOT_WARC_DETAIL
    cols.add(
        kind=KIND_FILE, source_file=source_file, status=status, error=error,
        bytes_read=stats.bytes_read if stats else 0, bytes_decompressed=stats.bytes_decompressed if stats else 0,
        source_size=size,
        source_checksum=f"crc32:{stats.crc32:08x}" if read_whole else None,
        started_at=started, duration_s=time.perf_counter() - t0, **counts,
    )
    yield from cols.batches()


def _handle_record(rec: Record, source_file, crawl_id, cols: _Batch, counts, quarantine, cfg: IngestConfig,
                   seen: dict[str, int]) -> str | None:
    """Route one clean record: conversion -> document, warcinfo -> crawl id, anything else -> counted skip."""
    h = rec.headers
    kind = rec.type
    if kind == "warcinfo":
        info = rec.payload[:4096].decode("utf-8", "replace")
        return crawl_id_from(info) or crawl_id
    if kind != "conversion":
        counts["skipped_other_types"] += 1
        return crawl_id
    record_id = h.get("warc-record-id")
    url = h.get("warc-target-uri")
    if not record_id or not url:
        missing = "WARC-Record-ID" if not record_id else "WARC-Target-URI"
        quarantine(rec.offset, "malformed_header", f"conversion record without {missing}", rec.payload, record_id)
        return crawl_id
    if rec.digest_ok is False:
        keep = cfg.on_digest_mismatch == DIGEST_FLAG
        quarantine(rec.offset, "digest_mismatch",
                   "WARC-Block-Digest does not match the block" + (" (loaded: on_digest_mismatch=flag)" if keep else ""),
                   rec.payload, record_id)
        if not keep:
            return crawl_id
    if not rec.payload:
        quarantine(rec.offset, "empty_record", "conversion record with no text", b"", record_id)
        return crawl_id
    doc_id = doc_id_for(record_id)
    if doc_id in seen:  # the same record twice in one file: keep the first
        quarantine(rec.offset, "duplicate_record_id", f"WARC-Record-ID repeats the record at offset {seen[doc_id]} "
                   "of this file", b"", record_id)
        return crawl_id
    seen[doc_id] = rec.offset
    counts["documents"] += 1
    cols.add_document(  # in DOCUMENT_FIELDS order
        rec.payload, doc_id, record_id, url, host_of(url), parse_warc_date(h.get("warc-date")),
        crawl_id, len(rec.payload), split_languages(h.get("warc-identified-content-language")),
        h.get("warc-refers-to"), h.get("warc-block-digest"), source_file, rec.offset,
    )
    return crawl_id
