"""The export: read a lake table at one pinned Delta version, select and order its rows, turn them into records on
the executors, and write shards in order on the driver, then manifest.json.

The driver takes one sort partition at a time (`toLocalIterator`), cuts shards with `starts_new_shard` and hands row
groups to the format's writer (etl.export.base). Memory stays bounded by one sort partition plus one row group, and
since every cut depends only on the ordered rows, the same table version and options give byte-identical files
whatever the partitioning. Local paths and `file:` URIs only: shards are written with Python file I/O and renamed
into place (copy them to object storage after).
"""

from __future__ import annotations

import hashlib
import math
import os
import shutil
import time
from typing import Callable

import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession, types as T

from etl import tables
from etl.export import base
from etl.export.manifest import ExportSummary, ShardStats, Tally, build_manifest, write_json
from etl.export.options import (DATA_DIR, MANIFEST, SHARD_INDEX_DIGITS, STAGING_DIR, ExportOptions, ExportUsageError,
                                out_dir, shard_name, validate)
from etl.export.plan import starts_new_shard
from etl.export.records import (H_KEY, H_SIZE, H_TEXT_BYTES, H_TOKENS, H_WORDS, HELPER_COLUMNS, IPC_COLUMN,
                                TIMESTAMP_FORMAT, record_frame)
from etl.export.selection import select_rows
from etl.export.tokens import load_tokenizer

# Parquet row groups close at whichever comes first; they bound the driver's buffer and suit the hub's viewer.
ROW_GROUP_ROWS = 10_000
ROW_GROUP_BYTES = 32 * 2**20
SORT_PARTITION_BYTES = 16 * 2**20  # Delta (compressed) bytes per sort partition: the driver holds one at a time
HASH_CHUNK = 2**20
NO_SCHEMA = T.StructType([])


class _Shard:
    """One output file: takes record slices (row groups) through the format's writer, then reports its size and
    checksum."""

    def __init__(self, path: str, opts: ExportOptions):
        self.path = path
        self.stats = ShardStats(path=os.path.basename(path))
        self._writer = base.get(opts.fmt).open(path, opts.codec)

    def write(self, table: pa.Table, record_columns: list[str]) -> None:
        self._writer.write(table, record_columns)

    def discard(self) -> None:
        """Close the file handles of a shard that will not be published, ignoring errors (the write failed)."""
        self._writer.discard()

    def close(self) -> ShardStats:
        self._writer.close()
        self.stats.bytes = os.path.getsize(self.path)
        self.stats.sha256 = file_sha256(self.path)
        return self.stats


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(HASH_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _read_version(spark: SparkSession, lake: str, opts: ExportOptions) -> tuple[DataFrame, int, str | None, int]:
    """(rows at the version, the version, its commit time, sort partitions); the latest version is pinned first."""
    if not tables.exists(spark, lake, opts.table):
        raise ExportUsageError(f"no Delta table {opts.table} under {lake}")
    latest = tables.version(spark, lake, opts.table)
    version = latest if opts.version is None else opts.version
    if version > latest:
        raise ExportUsageError(f"--table-version {version}: {opts.table} has versions 0 to {latest}")
    commit = tables.commit_time(spark, lake, opts.table, version)
    committed = commit.strftime(TIMESTAMP_FORMAT) if commit is not None else None
    size = tables.detail(spark, tables.table_path(lake, opts.table)).sizeInBytes or 0  # latest version's: an estimate
    partitions = max(1, math.ceil(size / SORT_PARTITION_BYTES))
    return tables.read_at(spark, lake, opts.table, version, NO_SCHEMA), version, committed, partitions


def export_table(spark: SparkSession, lake: str, opts: ExportOptions,
                 progress: Callable[[str], None] = print) -> ExportSummary:
    """Write the table's rows as shards plus manifest.json under opts.out; returns what was written."""
    t0 = time.perf_counter()
    validate(opts)
    tokenizer = load_tokenizer(opts.tokenizer)  # validate() has read it once: it is readable
    out = out_dir(opts)
    df, version, committed, partitions = _read_version(spark, lake, opts)
    frame = record_frame(select_rows(df, opts), partitions, base.get(opts.fmt).needs_lines, opts.expand_metadata,
                         tokenizer)
    staging = os.path.join(out, STAGING_DIR)
    shutil.rmtree(staging, ignore_errors=True)  # what a crashed export left (only reachable with --overwrite)
    os.makedirs(staging)
    extension = opts.extension
    target_rows, target_bytes = opts.targets
    progress(f"export: {opts.table} at version {version}, {partitions} sort partition(s) -> {out} "
             f"({opts.fmt}, {opts.codec}, {'rows' if target_rows else 'bytes'} per shard: "
             f"{target_rows or target_bytes:,})")

    shards: list[ShardStats] = []
    seen = Tally()
    record_columns: list[str] = []
    current: _Shard | None = None
    pending: list[pa.Table] = []
    shard_rows = shard_bytes = group_rows = group_bytes = 0

    def flush() -> None:
        if pending:
            current.write(pa.concat_tables(pending), record_columns)
            pending.clear()

    def close_shard() -> None:
        nonlocal current
        flush()
        stats = current.close()
        shards.append(stats)
        total_rows = sum(s.rows for s in shards)
        progress(f"export: shard {len(shards) - 1:>5}  {stats.rows:>10,} rows  {stats.bytes:>14,} bytes  "
                 f"(total {total_rows:,} rows, {time.perf_counter() - t0:.1f}s)")
        current = None

    # A failure anywhere before the shards are published (a read error, a full or read-only disk mid-shard) leaves
    # no staging folder behind, and the previous export in `out` untouched; the error itself propagates.
    try:
        for row in frame.toLocalIterator(prefetchPartitions=False):
            table = pa.ipc.open_stream(pa.py_buffer(row[IPC_COLUMN])).read_all()
            if not record_columns:
                record_columns = [n for n in table.column_names if n not in HELPER_COLUMNS]
            seen.add(table)
            sizes, keys = table.column(H_SIZE).to_pylist(), table.column(H_KEY).to_pylist()
            text_bytes, words = table.column(H_TEXT_BYTES).to_pylist(), table.column(H_WORDS).to_pylist()
            tokens = table.column(H_TOKENS).to_pylist()
            start = 0
            for i, weight in enumerate(sizes):
                if starts_new_shard(shard_rows, shard_bytes, weight, target_rows, target_bytes):
                    pending.append(table.slice(start, i - start))
                    close_shard()
                    start, shard_rows, shard_bytes, group_rows, group_bytes = i, 0, 0, 0, 0
                elif starts_new_shard(group_rows, group_bytes, weight, ROW_GROUP_ROWS, ROW_GROUP_BYTES):
                    pending.append(table.slice(start, i - start))
                    flush()
                    start, group_rows, group_bytes = i, 0, 0
                if current is None:
                    current = _Shard(os.path.join(staging, f"part-{len(shards):0{SHARD_INDEX_DIGITS}d}{extension}"),
                                     opts)
                st = current.stats
                st.rows, st.uncompressed_bytes = st.rows + 1, st.uncompressed_bytes + weight
                st.text_bytes, st.words, st.tokens = st.text_bytes + text_bytes[i], st.words + words[i], \
                    st.tokens + tokens[i]
                st.first_id = st.first_id if st.first_id is not None else keys[i]
                st.last_id = keys[i]
                shard_rows, shard_bytes = shard_rows + 1, shard_bytes + weight
                group_rows, group_bytes = group_rows + 1, group_bytes + weight
            pending.append(table.slice(start))
        if current is not None:
            close_shard()

        _publish(out, staging, shards, opts.split, extension)
    finally:
        if current is not None:
            current.discard()
        shutil.rmtree(staging, ignore_errors=True)
    summary = ExportSummary(out=out, table=opts.table, version=version, files=shards,
                            languages=dict(sorted(seen.languages.items())), run_ids=sorted(seen.run_ids))
    if tokenizer is not None:
        summary.tokenizer = tokenizer.name
    manifest = build_manifest(summary, opts, lake, df.schema, record_columns, committed, tokenizer)
    write_json(os.path.join(out, MANIFEST), manifest)
    summary.seconds = time.perf_counter() - t0
    return summary


def _publish(out: str, staging: str, shards: list[ShardStats], split: str, extension: str) -> None:
    """Replace the previous export's data/ and manifest with the new shards under their final names."""
    data = os.path.join(out, DATA_DIR)
    shutil.rmtree(data, ignore_errors=True)
    if os.path.exists(os.path.join(out, MANIFEST)):
        os.remove(os.path.join(out, MANIFEST))
    for index, stats in enumerate(shards):
        final = shard_name(split, index, len(shards), extension)
        os.makedirs(data, exist_ok=True)
        os.replace(os.path.join(staging, stats.path), os.path.join(out, final))
        stats.path = final
    shutil.rmtree(staging)
