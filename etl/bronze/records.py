"""One WET file -> Arrow record batches of documents, quarantine rows and one file-status row.

The three kinds share one "envelope" schema (a `kind` column plus the union of their fields) so a single
`mapInArrow` pass parses each file exactly once; the Spark side splits the envelope into the bronze tables.
No Spark import here: the same code runs in Spark's Python workers, in tests and in the benchmark.
"""

from __future__ import annotations

import hashlib
import time
from datetime import datetime, timezone
from typing import Iterator
from urllib.parse import urlsplit

import pyarrow as pa

from etl.config import DIGEST_FLAG, IngestConfig
from etl.io.sources import RetryPolicy, SourceUnavailable, open_source, source_size
from etl.io.wet import Damage, Record, WarcReader, crawl_id_from

KIND_DOCUMENT, KIND_QUARANTINE, KIND_FILE = "document", "quarantine", "file"
# File statuses. A file is read again by a later run when its status is retryable, or when it was final but its
# size or checksum changed since (a download finished, a copy completed, a truncated body was fetched again).
STATUS_OK, STATUS_PARTIAL, STATUS_EMPTY = "ok", "partial", "empty"
STATUS_TRUNCATED = "truncated"  # the data ended inside a record: maybe still being written, so read again
STATUS_UNREACHABLE, STATUS_ERROR = "unreachable", "error"
FINAL_STATUSES = (STATUS_OK, STATUS_PARTIAL, STATUS_EMPTY)
# Damage at the very end of a file that a complete copy would not have.
TRUNCATION_REASONS = ("truncated_record", "truncated_gzip")
LIMIT_REASONS = ("decompression_bomb", "too_slow")  # reading stopped early: no checksum of the whole file
REPLACEMENT_CHAR = "\ufffd"
REPLACEMENT_BYTES = REPLACEMENT_CHAR.encode("utf-8")
TS = pa.timestamp("us", tz="UTC")

ENVELOPE = pa.schema(
    [
        ("kind", pa.string()),
        ("doc_id", pa.string()),
        ("warc_record_id", pa.string()),
        ("url", pa.string()),
        ("url_host", pa.string()),
        ("warc_date", TS),
        ("crawl_id", pa.string()),
        ("content_length", pa.int64()),
        ("cc_languages", pa.list_(pa.string())),
        ("text", pa.string()),
        ("replaced_chars", pa.int32()),
        ("warc_refers_to", pa.string()),
        ("warc_block_digest", pa.string()),
        ("source_file", pa.string()),
        ("record_offset", pa.int64()),
        ("reason", pa.string()),
        ("detail", pa.string()),
        ("snippet", pa.string()),
        ("status", pa.string()),
        ("records_total", pa.int64()),
        ("documents", pa.int64()),
        ("quarantined", pa.int64()),
        ("skipped_other_types", pa.int64()),
        ("bytes_read", pa.int64()),
        ("bytes_decompressed", pa.int64()),
        ("source_size", pa.int64()),
        ("source_checksum", pa.string()),
        ("error", pa.string()),
        ("started_at", TS),
        ("duration_s", pa.float64()),
    ]
)
ENVELOPE_DDL = (
    "kind string, doc_id string, warc_record_id string, url string, url_host string, warc_date timestamp, "
    "crawl_id string, content_length bigint, cc_languages array<string>, text string, replaced_chars int, "
    "warc_refers_to string, warc_block_digest string, source_file string, record_offset bigint, reason string, "
    "detail string, snippet string, status string, records_total bigint, documents bigint, quarantined bigint, "
    "skipped_other_types bigint, bytes_read bigint, bytes_decompressed bigint, source_size bigint, source_checksum string, error string, "
    "started_at timestamp, duration_s double"
)


def doc_id_for(record_id: str) -> str:
    """Stable 128-bit id from WARC-Record-ID: the same record always gets the same id, whatever file or run."""
    return hashlib.blake2b(record_id.encode("utf-8"), digest_size=16).hexdigest()


def decode_text(payload: bytes) -> tuple[str, int]:
    """UTF-8 text and how many replacement characters decoding had to insert (0 for valid input)."""
    try:
        return payload.decode("utf-8"), 0
    except UnicodeDecodeError:
        text = payload.decode("utf-8", "replace")
        return text, text.count(REPLACEMENT_CHAR) - payload.count(REPLACEMENT_BYTES)


def parse_warc_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def host_of(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return urlsplit(url).hostname
    except ValueError:  # e.g. a malformed IPv6 literal
        return None


def split_languages(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [code.strip() for code in value.split(",") if code.strip()]


class _Columns:
    """Column lists for one outgoing batch (faster than building a dict per row).

    Document text is kept as the raw payload bytes and validated as UTF-8 by Arrow for the whole batch at once;
    only a batch that contains invalid bytes is decoded row by row (with replacement characters counted).
    """

    def __init__(self) -> None:
        self.cols: dict[str, list] = {name: [] for name in ENVELOPE.names if name not in ("text", "replaced_chars")}
        self.payloads: list[bytes | None] = []
        self.rows = 0
        self.text_bytes = 0

    def add(self, payload: bytes | None = None, **values) -> None:
        for name, col in self.cols.items():
            col.append(values.get(name))
        self.payloads.append(payload)
        self.rows += 1

    def _text_columns(self) -> tuple[pa.Array, pa.Array]:
        raw = pa.array(self.payloads, pa.binary())
        try:
            text = raw.cast(pa.string())
            replaced = [0 if p is not None else None for p in self.payloads]
        except pa.ArrowInvalid:  # some payload is not valid UTF-8
            decoded = [decode_text(p) if p is not None else (None, None) for p in self.payloads]
            text = pa.array([d[0] for d in decoded], pa.string())
            replaced = [d[1] for d in decoded]
        return text, pa.array(replaced, pa.int32())

    def batch(self) -> pa.RecordBatch:
        text, replaced = self._text_columns()
        arrays = [
            text if name == "text" else replaced if name == "replaced_chars" else pa.array(self.cols[name], field.type)
            for name, field in zip(ENVELOPE.names, ENVELOPE)
        ]
        return pa.RecordBatch.from_arrays(arrays, schema=ENVELOPE)


def _snippet(data: bytes, limit: int) -> str:
    return data[:limit].decode("utf-8", "replace")


def file_batches(source_file: str, cfg: IngestConfig) -> Iterator[pa.RecordBatch]:
    """Parse one file into envelope batches: documents and quarantine rows as they come, the file row last."""
    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    policy = RetryPolicy(cfg.http_max_retries, cfg.http_backoff_base_s, cfg.http_backoff_max_s, cfg.http_timeout_s)
    counts = {"records_total": 0, "documents": 0, "quarantined": 0, "skipped_other_types": 0}
    cols = _Columns()
    crawl_id = crawl_id_from(source_file)
    status, error = STATUS_OK, None
    reader: WarcReader | None = None
    size: int | None = None
    last_damage: str | None = None  # the reason of the last item if it was damage: a cut-off end shows here

    def quarantine(offset, reason, detail, snippet=b"", record_id=None):
        counts["quarantined"] += 1
        cols.add(
            kind=KIND_QUARANTINE, source_file=source_file, record_offset=offset, reason=reason, detail=detail,
            warc_record_id=record_id, snippet=_snippet(snippet, cfg.snippet_chars),
        )

    try:
        raw = open_source(source_file, policy, cfg.s3_http_endpoint)
    except SourceUnavailable as exc:
        status, error = STATUS_UNREACHABLE, str(exc)
        quarantine(None, "unreachable", str(exc))
        raw = None
    if raw is not None:
        size = source_size(raw)
        try:
            with raw:
                reader = WarcReader(raw, cfg.max_record_bytes, cfg.snippet_chars, cfg.max_decompression_ratio,
                                    cfg.max_file_seconds)
                for item in reader:
                    if isinstance(item, Damage):
                        quarantine(item.offset, item.reason, item.detail, item.snippet, item.record_id)
                        last_damage = item.reason
                        continue
                    last_damage = None
                    counts["records_total"] += 1
                    crawl_id = _handle_record(item, source_file, crawl_id, cols, counts, quarantine, cfg)
                    if cols.rows >= cfg.batch_rows or cols.text_bytes >= cfg.batch_text_bytes:
                        yield cols.batch()
                        cols = _Columns()
        except SourceUnavailable as exc:  # the connection broke for good mid-file
            status, error = STATUS_UNREACHABLE, str(exc)
            quarantine(None, "unreachable", str(exc))
        except Exception as exc:  # never let one file kill the task: record it and move on
            status, error = STATUS_ERROR, f"{type(exc).__name__}: {exc}"
            quarantine(None, "reader_error", error)
    stats = reader.stats if reader else None
    if size is None and stats is not None and status == STATUS_OK and last_damage not in LIMIT_REASONS:
        size = stats.bytes_read  # read to the end, so what was read is the size
    if status == STATUS_OK:
        status = _file_status(counts, last_damage)
        if stats is not None and stats.bytes_read == 0:  # read again once it has bytes (its size changes)
            quarantine(None, "empty_file", "the file has no bytes (a failed download or copy?)")
            status = STATUS_EMPTY
    cols.add(
        kind=KIND_FILE, source_file=source_file, status=status, error=error,
        bytes_read=stats.bytes_read if stats else 0, bytes_decompressed=stats.bytes_decompressed if stats else 0,
        source_size=size,
        source_checksum=f"crc32:{stats.crc32:08x}" if stats and status == STATUS_OK and last_damage not in LIMIT_REASONS
        else None,
        started_at=started, duration_s=time.perf_counter() - t0, **counts,
    )
    yield cols.batch()


def _file_status(counts: dict[str, int], last_damage: str | None) -> str:
    """ok, partial, empty, or truncated when the data ends inside a record (a later run reads the file again)."""
    if last_damage in TRUNCATION_REASONS:
        return STATUS_TRUNCATED
    if counts["quarantined"]:
        return STATUS_PARTIAL
    return STATUS_EMPTY if counts["documents"] == 0 else STATUS_OK


def _handle_record(rec: Record, source_file, crawl_id, cols: _Columns, counts, quarantine,
                   cfg: IngestConfig) -> str | None:
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
    counts["documents"] += 1
    cols.text_bytes += len(rec.payload)
    cols.add(
        kind=KIND_DOCUMENT, doc_id=doc_id_for(record_id), warc_record_id=record_id, url=url, url_host=host_of(url),
        warc_date=parse_warc_date(h.get("warc-date")), crawl_id=crawl_id, content_length=len(rec.payload),
        cc_languages=split_languages(h.get("warc-identified-content-language")), payload=rec.payload,
        warc_refers_to=h.get("warc-refers-to"), warc_block_digest=h.get("warc-block-digest"),
        source_file=source_file, record_offset=rec.offset,
    )
    return crawl_id


def arrow_partition_parser(cfg: IngestConfig):
    """The function handed to `mapInArrow`: each input row names one file; output is envelope batches."""

    def parse(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            for source_file in batch.column("source_file").to_pylist():
                yield from file_batches(source_file, cfg)

    return parse
