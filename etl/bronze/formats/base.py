"""The source seam: what an input format is, and `DocumentFormat`, which turns a format's simple stream of items
(documents, problems, skips) into the bronze envelope with its counts and exactly one file row.

A format only has to say which files are its own (`suffixes`, `sniff`) and how to read one (`records`, or
`items` for a `DocumentFormat`); opening the file, choosing the format and the Spark side are shared.
"""

from __future__ import annotations

import io
import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, ClassVar, Iterator, Protocol, runtime_checkable

import pyarrow as pa

from etl.bronze.records import (KIND_FILE, KIND_QUARANTINE, LIMIT_REASONS, NOT_WARC_DETAIL, STATUS_EMPTY,
                                STATUS_NOT_WARC, STATUS_OK, STATUS_REFUSED, OpenedFile, _Batch, _file_status, _snippet,
                                doc_id_for, host_of, read_failure)
from etl.config import IngestConfig
from etl.io.warc import CountingReader, StreamStats

__all__ = ["SourceFormat", "DocumentFormat", "Document", "Problem", "Skipped", "Refused", "OpenedFile", "Replay",
           "counted_stream"]


@runtime_checkable
class SourceFormat(Protocol):
    """An input format: a name (the value of ingest.format), file-name suffixes, a sniff of the first bytes, and
    `records`, which yields envelope batches (etl.bronze.records.ENVELOPE): documents, quarantine rows, and
    exactly one file row (kind "file") last."""

    name: str
    suffixes: tuple[str, ...]

    def sniff(self, head: bytes) -> bool | None:
        """True: these bytes start a file of this format; False: they certainly do not; None: cannot tell.
        ``head`` is the file's first bytes, decompressed when it is gzip (see etl.bronze.formats.head_of)."""

    def records(self, src: OpenedFile, cfg: IngestConfig) -> Iterator[pa.RecordBatch]:
        """The envelope batches of one opened file."""


@dataclass
class Document:
    """One document a format found. ``record_id`` is its stable identity (doc_id = blake2b of it)."""

    text: str
    record_id: str
    offset: int  # where it starts in the (decompressed) file: a byte offset, or a line or row number
    url: str | None = None
    warc_date: datetime | None = None
    crawl_id: str | None = None
    content_length: int | None = None  # bytes of the record it came from; default: of the text
    cc_languages: list[str] | None = None
    warc_refers_to: str | None = None
    warc_block_digest: str | None = None


@dataclass
class Problem:
    """Damage or a bad record: one quarantine row. ``record``: it was a whole record (counted in records_total)."""

    offset: int | None
    reason: str
    detail: str
    snippet: bytes = b""
    record_id: str | None = None
    record: bool = False


@dataclass
class Skipped:
    """A record that is not a document by design (a WARC request, a non-HTML page): counted, not quarantined.
    ``reason`` keys the per-file breakdown; ``counted=False`` for records that are no skip (warcinfo)."""

    reason: str
    counted: bool = True


class Refused(Exception):
    """Raised by a format that finds the whole file unusable (no text column, say): status refused, the reason
    as the error."""


class Replay(io.RawIOBase):
    """A stream that gives ``head`` again before the rest of ``stream`` (for streams that can neither peek nor
    seek, and for formats that look at a few bytes before choosing how to read on)."""

    def __init__(self, head: bytes, stream):
        super().__init__()
        self.head, self.stream = head, stream

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def read(self, n: int = -1) -> bytes:
        if not self.head:
            return self.stream.read(n)
        head, self.head = self.head, b""
        if n is None or n < 0:
            return head + self.stream.read()
        if len(head) > n:
            head, self.head = head[:n], head[n:]
            return head
        return head + self.stream.read(n - len(head))

    def close(self) -> None:
        if hasattr(self.stream, "close"):
            self.stream.close()
        super().close()


def counted_stream(stream: BinaryIO, stats: StreamStats) -> io.BufferedReader:
    """``stream`` whose reads add to ``stats`` (bytes read and their crc32, the file's checksum); buffered, so it
    has readline and iterates by line."""
    return io.BufferedReader(_Counted(stream, stats))


class _Counted(io.RawIOBase):
    def __init__(self, stream: BinaryIO, stats: StreamStats):
        super().__init__()
        self.reader = CountingReader(stream, stats)

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        data = self.reader.read(len(b))
        b[: len(data)] = data
        return len(data)


class DocumentFormat:
    """Base for formats that yield `Document`, `Problem` and `Skipped` items from `items`; this class keeps the
    counts, drops a repeated record id within the file (quarantined), batches rows and writes the file row.

    The file row's ``detail`` holds the skip breakdown as JSON ({"request": 17, "not_html": 2, ...}); the
    ingest log keeps their sum in ``skipped_other_types``.
    """

    name: ClassVar[str] = ""
    suffixes: ClassVar[tuple[str, ...]] = ()
    reads_warc: ClassVar[bool] = False  # a file with damage and not one record is then not_warc, not partial

    def sniff(self, head: bytes) -> bool | None:
        return None

    def items(self, src: OpenedFile, cfg: IngestConfig,
              stats: StreamStats) -> Iterator[Document | Problem | Skipped]:
        """Read ``src.stream`` (through `counted_stream(src.stream, stats)`, or fill ``stats`` otherwise)."""
        raise NotImplementedError

    def records(self, src: OpenedFile, cfg: IngestConfig) -> Iterator[pa.RecordBatch]:
        """The envelope of `items`: documents and quarantine rows in batches, the file row last."""
        counts = {"records_total": 0, "documents": 0, "quarantined": 0, "skipped_other_types": 0}
        skipped: dict[str, int] = {}
        seen: dict[str, int] = {}  # doc id -> offset of its first record in this file
        stats = StreamStats()
        cols = _Batch()
        status, error, last_problem = STATUS_OK, None, None

        def quarantine(offset, reason, detail, snippet=b"", record_id=None):
            counts["quarantined"] += 1
            cols.add(kind=KIND_QUARANTINE, source_file=src.path, record_offset=offset, reason=reason, detail=detail,
                     warc_record_id=record_id, snippet=_snippet(snippet, cfg.snippet_chars))

        try:
            for item in self.items(src, cfg, stats):
                if isinstance(item, Problem):
                    counts["records_total"] += item.record
                    last_problem = item.reason
                    quarantine(item.offset, item.reason, item.detail, item.snippet, item.record_id)
                    continue
                last_problem = None
                counts["records_total"] += 1
                if isinstance(item, Skipped):
                    if item.counted:
                        counts["skipped_other_types"] += 1
                        skipped[item.reason] = skipped.get(item.reason, 0) + 1
                    continue
                self._add(item, src, cols, counts, seen, quarantine)
                if cols.rows >= cfg.batch_rows or cols.text_bytes >= cfg.batch_text_bytes:
                    yield from cols.batches()
                    cols = _Batch()
        except Refused as exc:
            status, error = STATUS_REFUSED, f"{self.name}: {exc}"
            quarantine(None, "refused", error)
        except Exception as exc:  # never let one file kill the task: record it and move on
            status, reason, error = read_failure(exc)
            quarantine(None, reason, error)
        read_whole = status == STATUS_OK and last_problem not in LIMIT_REASONS
        size = src.size if src.size is not None or not read_whole else stats.bytes_read
        if status == STATUS_OK:
            status = _file_status(counts, last_problem, warc=self.reads_warc)
            if stats.bytes_read == 0:
                quarantine(None, "empty_file", "the file has no bytes (a failed download or copy?)")
                status = STATUS_EMPTY
            if status == STATUS_NOT_WARC:
                error = NOT_WARC_DETAIL
        cols.add(kind=KIND_FILE, source_file=src.path, status=status, error=error, bytes_read=stats.bytes_read,
                 bytes_decompressed=stats.bytes_decompressed, source_size=size,
                 source_checksum=f"crc32:{stats.crc32:08x}" if read_whole and stats.bytes_read else None,
                 detail=json.dumps(skipped, sort_keys=True) if skipped else None,
                 started_at=src.started_at, duration_s=time.perf_counter() - src.t0, **counts)
        yield from cols.batches()

    @staticmethod
    def _add(doc: Document, src: OpenedFile, cols: _Batch, counts, seen: dict[str, int], quarantine) -> None:
        doc_id = doc_id_for(doc.record_id)
        if doc_id in seen:  # the same record twice in one file: keep the first
            quarantine(doc.offset, "duplicate_record_id",
                       f"record id repeats the record at offset {seen[doc_id]} of this file", b"", doc.record_id)
            return
        seen[doc_id] = doc.offset
        counts["documents"] += 1
        payload = doc.text.encode("utf-8", "replace")
        cols.add_document(  # in DOCUMENT_FIELDS order
            payload, doc_id, doc.record_id, doc.url, host_of(doc.url), doc.warc_date, doc.crawl_id,
            doc.content_length if doc.content_length is not None else len(payload), doc.cc_languages,
            doc.warc_refers_to, doc.warc_block_digest, src.path, doc.offset,
        )
