"""JSON Lines shards, as datatrove's JsonlWriter writes them: one JSON document per line, gzip by default."""

from __future__ import annotations

import gzip

import pyarrow as pa

from etl.export.base import LINE_COLUMN

GZIP_LEVEL = 6  # zlib's default: most of level 9's ratio at a fraction of its time


class JsonlWriter:
    """Writes the records' JSON lines (made on the executors) through the chosen compression."""

    def __init__(self, path: str, codec: str):
        self._raw = None
        if codec == "zstd":
            self._stream = pa.CompressedOutputStream(path, "zstd")
        else:
            self._raw = open(path, "wb")
            # mtime=0 and no file name in the gzip header: same rows, same bytes
            self._stream = (gzip.GzipFile(filename="", mode="wb", fileobj=self._raw, mtime=0,
                                          compresslevel=GZIP_LEVEL) if codec == "gzip" else self._raw)

    def write(self, table: pa.Table, record_columns: list[str]) -> None:
        self._stream.write(b"".join(table.column(LINE_COLUMN).to_pylist()))

    def close(self) -> None:
        self._stream.close()
        if self._raw is not None and not self._raw.closed:
            self._raw.close()

    def discard(self) -> None:
        for handle in (self._stream, self._raw):
            try:
                if handle is not None:
                    handle.close()
            except Exception:
                pass


class JsonlFormat:
    name = "jsonl"
    # Codec -> extension; the first is the default (datatrove's JsonlWriter gzips).
    extensions = {"gzip": ".jsonl.gz", "zstd": ".jsonl.zst", "none": ".jsonl"}
    needs_lines = True

    def open(self, path: str, codec: str) -> JsonlWriter:
        return JsonlWriter(path, codec)
