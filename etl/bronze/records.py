"""The bronze envelope, shared by every input format: one file -> Arrow batches of documents, quarantine rows and
one file-status row.

The three kinds share one "envelope" schema (a `kind` column plus the union of their fields) so a single
`mapInArrow` pass parses each file exactly once; the Spark side splits the envelope into the bronze tables.
No Spark session is needed here (only Spark's type classes): the same code runs in Spark's Python workers, in tests
and in the benchmark. Here: the envelope, file statuses, row builders (doc ids, text, dates, hosts), the
column-wise `_Batch` and the rows of a file not read at all. The formats (WET's hot path among them) and how a
file's format is chosen are in etl.bronze.formats.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import BinaryIO
from urllib.parse import urlsplit

import pyarrow as pa
from pyspark.sql import types as T

from etl.io.sources import SourceUnavailable
from etl.table_specs import BRONZE_DOCUMENTS, BRONZE_INGEST_LOG, BRONZE_QUARANTINE, arrow_type, ddl, schema

KIND_DOCUMENT, KIND_QUARANTINE, KIND_FILE = "document", "quarantine", "file"
# File statuses. A file is read again by a later run when its status is retryable, or when it was final but its
# size or checksum changed since (a download finished, a copy completed, a truncated body was fetched again).
STATUS_OK, STATUS_PARTIAL, STATUS_EMPTY = "ok", "partial", "empty"
STATUS_TRUNCATED = "truncated"  # the data ended inside a record: maybe still being written, so read again
STATUS_UNREACHABLE, STATUS_ERROR = "unreachable", "error"
# No format reads the file (or it is not the one ingest.format names): retried by later runs, like unreachable, so
# a file refused under one configuration is read once the configuration allows it.
STATUS_REFUSED = "refused"
# Bytes, but not one WARC record in them (a text or HTML file named .wet.gz, an error page saved as a download):
# final like empty, and read again once its size changes (a real download replaced it).
STATUS_NOT_WARC = "not_warc"
NOT_WARC_DETAIL = "no WARC record in the file: not a WARC/WET file?"
FINAL_STATUSES = (STATUS_OK, STATUS_PARTIAL, STATUS_EMPTY, STATUS_NOT_WARC)
# Damage at the very end of a file that a complete copy would not have.
TRUNCATION_REASONS = ("truncated_record", "truncated_gzip")
LIMIT_REASONS = ("decompression_bomb", "too_slow")  # reading stopped early: no checksum of the whole file
REPLACEMENT_CHAR = "\ufffd"
REPLACEMENT_BYTES = REPLACEMENT_CHAR.encode("utf-8")
TS = pa.timestamp("us", tz="UTC")

# The envelope's columns after `kind`: a bronze document's as read (its run columns are added at load), the
# quarantine's reason columns, and the ingest log's file columns. Types come from the tables' specs.
ENVELOPE_COLUMNS = (
    *(c for c in schema(BRONZE_DOCUMENTS).fieldNames() if c not in ("ingest_run_id", "ingested_at")),
    "reason", "detail", "snippet",
    "status", "records_total", "documents", "quarantined", "skipped_other_types", "bytes_read", "bytes_decompressed",
    "source_size", "source_checksum", "error", "started_at", "duration_s",
)


def _envelope_fields() -> list[T.StructField]:
    types = {f.name: f.dataType for name in (BRONZE_INGEST_LOG, BRONZE_QUARANTINE, BRONZE_DOCUMENTS)
             for f in schema(name).fields}
    return [T.StructField("kind", T.StringType()), *(T.StructField(c, types[c]) for c in ENVELOPE_COLUMNS)]


ENVELOPE = pa.schema([(f.name, arrow_type(f.dataType)) for f in _envelope_fields()])
ENVELOPE_DDL = ddl(T.StructType(_envelope_fields()))


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


# scheme://[user@]host[:port] followed by /, ?, # or the end: nearly every crawled URL, parsed by one regex; any
# other shape (whitespace, IPv6 literals, odd characters) goes to urlsplit, whose answer this equals (tested).
SIMPLE_URL_HOST = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/?#\[\]\s]*@)?([A-Za-z0-9.-]+)(?::[0-9]*)?(?:[/?#]|$)")


def host_of(url: str | None) -> str | None:
    """The URL's host, lower-cased, as urllib's `urlsplit(url).hostname` gives it (None when there is none)."""
    if not url:
        return None
    m = SIMPLE_URL_HOST.match(url)
    if m is not None:
        return m.group(1).lower()
    try:
        return urlsplit(url).hostname
    except ValueError:  # e.g. a malformed IPv6 literal
        return None


def split_languages(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [code.strip() for code in value.split(",") if code.strip()]


# The envelope columns a document row fills, in the order `_Batch.add_document` takes them.
DOCUMENT_FIELDS = ("doc_id", "warc_record_id", "url", "url_host", "warc_date", "crawl_id", "content_length",
                   "cc_languages", "warc_refers_to", "warc_block_digest", "source_file", "record_offset")
TEXT_FIELDS = ("text", "replaced_chars")


class _Batch:
    """The rows of one outgoing Arrow batch, kept column-wise.

    Documents (the hot path) are appended to one list per column, with the raw payload bytes validated as UTF-8 by
    Arrow for the whole batch at once (only a batch holding invalid bytes is decoded row by row, counting
    replacement characters). Quarantine and file rows are rare and kept as dicts. Columns a kind does not use are
    all-null arrays, built in one call.
    """

    def __init__(self) -> None:
        self.doc_columns: tuple[list, ...] = tuple([] for _ in DOCUMENT_FIELDS)
        self.payloads: list[bytes] = []
        self.other_rows: list[dict] = []
        self.text_bytes = 0

    @property
    def rows(self) -> int:
        return len(self.payloads) + len(self.other_rows)

    def add_document(self, payload: bytes, *values) -> None:
        for column, value in zip(self.doc_columns, values):
            column.append(value)
        self.payloads.append(payload)
        self.text_bytes += len(payload)

    def add(self, **values) -> None:
        self.other_rows.append(values)

    def _text_columns(self) -> tuple[pa.Array, pa.Array]:
        raw = pa.array(self.payloads, pa.binary())
        try:
            return raw.cast(pa.string()), pa.nulls(len(raw), pa.int32()).fill_null(0)
        except pa.ArrowInvalid:  # some payload is not valid UTF-8
            decoded = [decode_text(p) for p in self.payloads]
            return pa.array([d[0] for d in decoded], pa.string()), pa.array([d[1] for d in decoded], pa.int32())

    def _documents(self) -> pa.RecordBatch:
        n = len(self.payloads)
        given = dict(zip(DOCUMENT_FIELDS, self.doc_columns))
        text = dict(zip(TEXT_FIELDS, self._text_columns()))
        arrays = []
        for field in ENVELOPE:
            if field.name == "kind":
                arrays.append(pa.array([KIND_DOCUMENT] * n, pa.string()))
            elif field.name in text:
                arrays.append(text[field.name])
            elif field.name in given:
                arrays.append(pa.array(given[field.name], field.type))
            else:
                arrays.append(pa.nulls(n, field.type))
        return pa.RecordBatch.from_arrays(arrays, schema=ENVELOPE)

    def batches(self) -> list[pa.RecordBatch]:
        out = [self._documents()] if self.payloads else []
        if self.other_rows:
            out.append(pa.RecordBatch.from_pylist(self.other_rows, schema=ENVELOPE))
        return out


def _snippet(data: bytes, limit: int) -> str:
    return data[:limit].decode("utf-8", "replace")


@dataclass
class OpenedFile:
    """One input file as a format receives it: its name, a binary stream at byte 0, its size when known, and when
    reading began (for the file row's started_at and duration_s)."""

    path: str
    stream: BinaryIO
    size: int | None
    started_at: datetime
    t0: float  # time.perf_counter() when reading began


def whole_file_batch(source_file: str, status: str, reason: str, detail: str, started: datetime, t0: float,
                     snippet: str = "", size: int | None = None) -> pa.RecordBatch:
    """The rows of a file that was not read at all (unreachable, refused): one quarantine row and the file row."""
    rows = [
        dict(kind=KIND_QUARANTINE, source_file=source_file, reason=reason, detail=detail, snippet=snippet),
        dict(kind=KIND_FILE, source_file=source_file, status=status, error=detail, records_total=0, documents=0,
             quarantined=1, skipped_other_types=0, bytes_read=0, bytes_decompressed=0, source_size=size,
             started_at=started, duration_s=time.perf_counter() - t0),
    ]
    return pa.RecordBatch.from_pylist(rows, schema=ENVELOPE)


def read_failure(exc: Exception) -> tuple[str, str, str]:
    """(file status, quarantine reason, error) for the exception that ended a file's reading: a connection that
    broke for good is ``unreachable``; anything else is a reader error, recorded so one file never kills the task."""
    if isinstance(exc, SourceUnavailable):
        return STATUS_UNREACHABLE, "unreachable", str(exc)
    return STATUS_ERROR, "reader_error", f"{type(exc).__name__}: {exc}"


def _file_status(counts: dict[str, int], last_damage: str | None, warc: bool = False) -> str:
    """ok, partial, empty, or truncated when the data ends inside a record (a later run reads the file again);
    for a WARC format, not_warc when damage was all it found (not one record)."""
    if last_damage in TRUNCATION_REASONS:
        return STATUS_TRUNCATED
    if warc and counts["quarantined"] and not counts["records_total"]:
        return STATUS_NOT_WARC
    if counts["quarantined"]:
        return STATUS_PARTIAL
    return STATUS_EMPTY if counts["documents"] == 0 else STATUS_OK
