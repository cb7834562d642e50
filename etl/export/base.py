"""The output seam: what an export format is (a name, codecs with their file extensions, a shard writer) and the
registry of formats. A new output format is one module with one `OutputFormat`, registered in etl/export/__init__.py
(or by a user's code with `register`)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import pyarrow as pa

__all__ = ["LINE_COLUMN", "OutputFormat", "ShardWriter", "default_codec", "get", "names", "register", "registered",
           "unregister"]

# Helper column with each record's JSON line (UTF-8, newline-terminated): shipped from the executors when the
# format asks for it (`needs_lines`), and the measure of every record's size whatever the format.
LINE_COLUMN = "__export_line"


class ShardWriter(Protocol):
    """One output file being written: row groups in order, then closed (or discarded after a failure)."""

    def write(self, table: pa.Table, record_columns: list[str]) -> None:
        """Append one row group: ``table`` holds the record columns (``record_columns``, in order) and the
        helper columns, among them LINE_COLUMN when the format needs lines."""

    def close(self) -> None:
        """Finish the file (footer, compression trailer)."""

    def discard(self) -> None:
        """Close the handles of a file that will not be published, ignoring errors."""


@runtime_checkable
class OutputFormat(Protocol):
    """An export format: its name (the value of --format), its codecs mapped to file extensions (the first codec
    is the default), whether its writer needs the JSON lines, and `open`, which starts one shard file."""

    name: str
    extensions: dict[str, str]
    needs_lines: bool

    def open(self, path: str, codec: str) -> ShardWriter:
        """A writer for a new file at ``path`` compressed with ``codec`` (one of ``extensions``)."""


_REGISTRY: dict[str, OutputFormat] = {}


def register(fmt: OutputFormat) -> OutputFormat:
    """Add (or replace) a format under its name; the first registered is the default --format."""
    if not isinstance(fmt, OutputFormat) or not fmt.name or not fmt.extensions:
        raise ValueError(f"not an output format (name, extensions, needs_lines, open): {fmt!r}")
    _REGISTRY[fmt.name] = fmt
    return fmt


def unregister(name: str) -> None:
    """Remove a format (a test's, say); unknown names are ignored."""
    _REGISTRY.pop(name, None)


def registered() -> dict[str, OutputFormat]:
    return dict(_REGISTRY)


def get(name: str) -> OutputFormat | None:
    return _REGISTRY.get(name)


def names() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def default_codec(name: str) -> str:
    return next(iter(_REGISTRY[name].extensions))
