"""Parquet shards, as the hub's `datasets` writes them: snappy by default, one row group per planned group."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

NO_COMPRESSION = "none"


class ParquetShardWriter:
    """Writes the record columns; the schema is taken from the first row group."""

    def __init__(self, path: str, codec: str):
        self.path, self.codec = path, codec
        self._writer: pq.ParquetWriter | None = None

    def write(self, table: pa.Table, record_columns: list[str]) -> None:
        # One contiguous chunk per column: pyarrow cuts data pages per input chunk, and the chunks reflect Spark's
        # batch boundaries, which vary between runs; the row group itself is cut by the planner.
        records = table.select(record_columns).combine_chunks()
        if self._writer is None:
            codec = "NONE" if self.codec == NO_COMPRESSION else self.codec
            self._writer = pq.ParquetWriter(self.path, records.schema, compression=codec)
        self._writer.write_table(records, row_group_size=max(1, records.num_rows))  # one row group per call

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()

    def discard(self) -> None:
        try:
            self.close()
        except Exception:
            pass


class ParquetFormat:
    name = "parquet"
    # Codec -> extension; the first is the default (pyarrow and the hub's `datasets` write snappy).
    extensions = {"snappy": ".parquet", "zstd": ".parquet", "gzip": ".parquet", NO_COMPRESSION: ".parquet"}
    needs_lines = False

    def open(self, path: str, codec: str) -> ParquetShardWriter:
        return ParquetShardWriter(path, codec)
