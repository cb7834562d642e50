"""Text datasets users already have: JSONL (optionally gzip) and Parquet with a text column, in the layout
datatrove and Dolma write ({"text", "id", "metadata": {"url", "date", "dump", ...}}), so silver and gold can run on
them.

Field names come from ingest.text_field / id_field / url_field. A document's identity is its id field (so a row
whose id is a WARC-Record-ID keeps the doc_id a WET or WARC read gives it), else source_file + line/row number.
A row that is not JSON or has no text is quarantined; a row with empty text is counted as skipped.
"""

from __future__ import annotations

import gzip
import io
import json
import zlib
from datetime import datetime
from typing import Any, Iterator

from etl.bronze.formats.base import (Document, DocumentFormat, OpenedFile, Problem, Refused, Replay, Skipped,
                                     counted_stream)
from etl.bronze.records import parse_warc_date
from etl.config import IngestConfig
from etl.io.warc import StreamStats, crawl_id_from

GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
UTF8_BOM = b"\xef\xbb\xbf"
METADATA = "metadata"  # where datatrove and Dolma keep url, date, dump, ...
DATE_FIELDS = ("date", "created", "warc_date")  # datatrove's, Dolma's, ours
DUMP_FIELD = "dump"  # datatrove: the crawl, e.g. CC-MAIN-2024-10
SKIP_EMPTY_TEXT = "empty_text"
DRAIN_BYTES = 1 << 20


def lookup(row: dict, path: str) -> Any:
    """A field of a row: a dotted path walks nested objects; a plain name is looked up at the top level, then
    under "metadata"."""
    if "." in path:
        value: Any = row
        for part in path.split("."):
            if not isinstance(value, dict):
                return None
            value = value.get(part)
        return value
    if path in row:
        return row[path]
    meta = row.get(METADATA)
    return meta.get(path) if isinstance(meta, dict) else None


def _date(row: dict) -> datetime | None:
    for name in DATE_FIELDS:
        value = lookup(row, name)
        if isinstance(value, datetime):
            return value
        if isinstance(value, str) and (parsed := parse_warc_date(value)) is not None:
            return parsed
    return None


def row_item(row: Any, number: int, offset: int, src: OpenedFile, cfg: IngestConfig,
             snippet: bytes = b"") -> Document | Problem | Skipped:
    """One dataset row (number: 1-based line or row) as a document, a quarantine row or a counted skip."""
    if not isinstance(row, dict):
        return Problem(offset, "malformed_row", f"row {number} is not an object", snippet, record=True)
    text = lookup(row, cfg.text_field)
    if not isinstance(text, str):
        return Problem(offset, "missing_text", f"row {number} has no string field {cfg.text_field!r}", snippet,
                       record=True)
    if not text.strip():
        return Skipped(SKIP_EMPTY_TEXT)
    ident = lookup(row, cfg.id_field)
    record_id = str(ident) if ident is not None and str(ident) else f"{src.path}:{number}"
    url = lookup(row, cfg.url_field)
    dump = lookup(row, DUMP_FIELD)
    return Document(text, record_id, offset, url if isinstance(url, str) else None, _date(row),
                    crawl_id_from(dump if isinstance(dump, str) else None, src.path))


class JsonlFormat(DocumentFormat):
    """One JSON object per line; gzip is recognised by its magic bytes, whatever the name."""

    name = "jsonl"
    suffixes = (".jsonl", ".jsonl.gz", ".json", ".json.gz", ".ndjson", ".ndjson.gz")

    def sniff(self, head: bytes) -> bool | None:
        start = head.removeprefix(UTF8_BOM).lstrip()
        return start.startswith(b"{") if start else None

    def items(self, src: OpenedFile, cfg: IngestConfig, stats: StreamStats) -> Iterator[Document | Problem | Skipped]:
        raw = counted_stream(src.stream, stats)
        first = raw.read(len(GZIP_MAGIC))
        stream = Replay(first, raw)
        lines = gzip.GzipFile(fileobj=stream) if first == GZIP_MAGIC else io.BufferedReader(stream)
        offset, number = 0, 0
        limit = cfg.max_record_bytes
        while True:
            try:
                line = lines.readline(limit + 1)
            except EOFError as exc:  # a gzip stream cut short: read again once the file is complete
                yield Problem(offset, "truncated_gzip", f"gzip data ends early after line {number}: {exc}")
                return
            except (OSError, zlib.error) as exc:
                yield Problem(offset, "corrupt_gzip", f"after line {number}: {exc}")
                return
            if not line:
                return
            number += 1
            stats.bytes_decompressed += len(line)
            start, offset = offset, offset + len(line)
            if len(line) > limit and not line.endswith(b"\n"):
                rest = 0
                while (more := lines.readline(limit)) and not more.endswith(b"\n"):
                    rest += len(more)
                rest += len(more)
                stats.bytes_decompressed += rest
                offset += rest
                yield Problem(start, "record_too_large", f"line {number} exceeds max_record_bytes {limit}",
                              line[: cfg.snippet_chars], record=True)
                continue
            if not line.strip():
                number -= 1  # blank lines are no rows
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                cut = not line.endswith(b"\n")
                yield Problem(start, "truncated_record" if cut else "malformed_json",
                              f"line {number}: {exc}" + (" (the file ends inside it)" if cut else ""),
                              line[: cfg.snippet_chars], record=True)
                continue
            yield row_item(row, number, start, src, cfg, line[: cfg.snippet_chars])


class ParquetFormat(DocumentFormat):
    """Parquet with a text column (other columns optional); read in batches of ingest.batch_rows rows."""

    name = "parquet"
    suffixes = (".parquet",)

    def sniff(self, head: bytes) -> bool | None:
        return head.startswith(PARQUET_MAGIC) if head else None

    def items(self, src: OpenedFile, cfg: IngestConfig, stats: StreamStats) -> Iterator[Document | Problem | Skipped]:
        import pyarrow.parquet as pq

        data = self._read_all(src, stats)
        pf = pq.ParquetFile(data)
        names = pf.schema_arrow.names
        wanted = [f.split(".", 1)[0] for f in (cfg.text_field, cfg.id_field, cfg.url_field, DUMP_FIELD)]
        wanted += [*DATE_FIELDS, METADATA]
        text_top = cfg.text_field.split(".", 1)[0]
        meta = pf.schema_arrow.field(METADATA).type if METADATA in names else None
        in_meta = meta is not None and hasattr(meta, "get_field_index") and meta.get_field_index(text_top) >= 0
        if text_top not in names and not in_meta:
            raise Refused(f"no column {cfg.text_field!r} (columns: {', '.join(names[:20])}); set ingest.text_field")
        columns = [n for n in names if n in wanted]
        number = 0
        for batch in pf.iter_batches(batch_size=cfg.batch_rows, columns=columns):
            stats.bytes_decompressed += batch.nbytes
            for row in batch.to_pylist():
                number += 1
                yield row_item(row, number, number - 1, src, cfg)

    @staticmethod
    def _read_all(src: OpenedFile, stats: StreamStats):
        """A seekable file for pyarrow: the stream itself when it can seek (read through once first for the size
        and checksum), else its bytes in memory."""
        stream = counted_stream(src.stream, stats)
        seekable = getattr(src.stream, "seekable", lambda: False)()
        if not seekable:
            return io.BytesIO(_read_exactly(stream))
        while stream.read(DRAIN_BYTES):
            pass
        src.stream.seek(0)
        return src.stream


def _read_exactly(stream) -> bytes:
    chunks = []
    while chunk := stream.read(DRAIN_BYTES):
        chunks.append(chunk)
    return b"".join(chunks)
