"""Input formats of bronze: a registry (name -> format) and the choice of a file's format.

A file is read by the format ingest.format names, or (auto) by the format its name suggests unless its first bytes
say otherwise, else by the format its first bytes identify; a file no format accepts is refused: status
``refused``, the reason in the ingest log's ``error``, retried by later runs. See docs/sources.md to add one.
"""

from __future__ import annotations

import zlib
from typing import Iterator

import pyarrow as pa

from etl.bronze.formats.base import (Document, DocumentFormat, OpenedFile, Problem, Refused, Replay, Skipped,
                                     SourceFormat, counted_stream)
from etl.bronze.formats.text_dataset import JsonlFormat, ParquetFormat
from etl.bronze.formats.warc_html import WarcHtmlFormat
from etl.bronze.formats.wet import WetFormat, first_record_type
from etl.bronze.records import KIND_FILE, STATUS_ERROR, STATUS_REFUSED, _snippet, whole_file_batch
from etl.config import FORMAT_AUTO, IngestConfig

__all__ = ["AUTO", "Document", "DocumentFormat", "OpenedFile", "Problem", "Refused", "Skipped", "SourceFormat",
           "choose", "counted_stream", "get", "head_of", "read_file", "register", "registered", "unregister"]

AUTO = FORMAT_AUTO  # ingest.format: choose per file
HEAD_BYTES = 16 * 1024  # stored bytes looked at to choose a format (a few records' headers)
HEAD_MAX_OUTPUT = 16 * 1024  # decompressed bytes a sniff sees at most (warcinfo and the next header fit)
HEAD_MAX_MEMBERS = 4  # gzip members inflated for a sniff: Common Crawl's warcinfo and the first records
GZIP_MAGIC = b"\x1f\x8b"
GZIP_WBITS = 31

_REGISTRY: dict[str, SourceFormat] = {}


def register(fmt: SourceFormat) -> SourceFormat:
    """Add (or replace) a format under its name; the order of registration is the order of sniffing."""
    if not isinstance(fmt, SourceFormat) or not fmt.name or fmt.name == AUTO:
        raise ValueError(f"not a source format (name, suffixes, sniff, records): {fmt!r}")
    _REGISTRY[fmt.name] = fmt
    return fmt


def unregister(name: str) -> None:
    """Remove a format (a test's, say); unknown names are ignored."""
    _REGISTRY.pop(name, None)


def registered() -> dict[str, SourceFormat]:
    """A copy of the registry: what a Spark task is given, so formats registered on the driver work there too."""
    return dict(_REGISTRY)


def get(name: str) -> SourceFormat | None:
    return _REGISTRY.get(name)


for _fmt in (WetFormat(), WarcHtmlFormat(), JsonlFormat(), ParquetFormat()):
    register(_fmt)


def head_of(stored: bytes) -> bytes:
    """The first bytes as a sniff sees them: inflated when gzip (member after member, bounded), else as stored."""
    if not stored.startswith(GZIP_MAGIC):
        return stored
    out: list[bytes] = []
    size, data = 0, stored
    while data.startswith(GZIP_MAGIC) and size < HEAD_MAX_OUTPUT and len(out) < HEAD_MAX_MEMBERS:
        d = zlib.decompressobj(GZIP_WBITS)
        try:
            piece = d.decompress(data, HEAD_MAX_OUTPUT - size)
        except zlib.error:
            break
        out.append(piece)
        size += len(piece)
        if not d.eof:
            break
        data = d.unused_data.lstrip(b"\r\n \t")
    return b"".join(out)


def _name_of(path: str) -> str:
    return path.split("?", 1)[0].rstrip("/").lower()


def choose(path: str, head: bytes, requested: str = AUTO,
           registry: dict[str, SourceFormat] | None = None) -> SourceFormat | str:
    """The format to read ``path`` with, or a string saying why none will. ``head``: see `head_of`."""
    formats = _REGISTRY if registry is None else registry
    if requested != AUTO:
        fmt = formats.get(requested)
        if fmt is None:
            return f"ingest.format={requested!r} names no registered format (known: {', '.join(formats)})"
        if fmt.sniff(head) is False:
            other = next((f.name for f in formats.values() if f is not fmt and f.sniff(head)), None)
            return (f"ingest.format={requested} but the file is not {requested}"
                    + (f" (it looks like {other}: set ingest.format={other} or auto)" if other else ""))
        return fmt
    name = _name_of(path)
    by_name = [f for f in formats.values() if name.endswith(tuple(s.lower() for s in f.suffixes))]
    for fmt in by_name:
        if fmt.sniff(head) is not False:
            return fmt
    for fmt in formats.values():
        if fmt.sniff(head):
            return fmt
    kind = first_record_type(head)
    seen = f"; its first WARC record after warcinfo is of type {kind!r}" if kind else ""
    if by_name:
        return f"named like {' or '.join(f.name for f in by_name)} but its content is not{seen}"
    return (f"no format recognises it (by name: {', '.join(s for f in formats.values() for s in f.suffixes)}; "
            f"or by content{seen}); set ingest.format to read it as one")


def _peek(src: OpenedFile) -> bytes:
    """The first stored bytes, leaving ``src.stream`` at byte 0."""
    stream = src.stream
    if hasattr(stream, "peek"):
        head = stream.peek(HEAD_BYTES)[:HEAD_BYTES]
        if len(head) >= HEAD_BYTES or not hasattr(stream, "seekable") or not stream.seekable():
            return head
    if hasattr(stream, "seekable") and stream.seekable():
        head = stream.read(HEAD_BYTES)
        stream.seek(0)
        return head
    head = stream.read(HEAD_BYTES)
    src.stream = Replay(head, stream)
    return head


def read_file(src: OpenedFile, cfg: IngestConfig,
              registry: dict[str, SourceFormat] | None = None) -> Iterator[pa.RecordBatch]:
    """Envelope batches of one opened file, read by its format; a refused file gives its refusal rows."""
    stored = _peek(src)
    fmt = choose(src.path, head_of(stored), cfg.format, registry)
    if isinstance(fmt, str):
        yield whole_file_batch(src.path, STATUS_REFUSED, "refused", f"refused: {fmt}", src.started_at, src.t0,
                               _snippet(stored, cfg.snippet_chars), src.size)
        return
    last = None
    try:
        for last in fmt.records(src, cfg):
            yield last
    except Exception as exc:  # a format that let an error out: the file is logged as an error, not the task lost
        if last is not None and _has_file_row(last):
            raise
        yield whole_file_batch(src.path, STATUS_ERROR, "reader_error", f"{fmt.name}: {type(exc).__name__}: {exc}",
                               src.started_at, src.t0, size=src.size)


def _has_file_row(batch: pa.RecordBatch) -> bool:
    return KIND_FILE in batch.column("kind").to_pylist()
