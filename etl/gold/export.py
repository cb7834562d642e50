"""Export a lake table (gold/documents by default) as JSONL or Parquet shards in the datatrove / Hugging Face layout.

The table is read at one Delta version, filtered, and ordered by a unique key (doc_id first, then every other
orderable column as a tie-break). Executors turn rows into records (`mapInArrow`: datatrove's {text, id, metadata},
the JSON line, its size, the UTF-8 bytes and word count of the text) and ship them as Arrow IPC chunks; the driver
takes one partition at a time (`toLocalIterator`), cuts shards with `starts_new_shard` and writes them in order.
Memory stays bounded by one sort partition plus one row group, and since every cut depends only on the ordered rows,
the same table version and options give byte-identical files whatever the partitioning. Local paths and `file:`
URIs only: shards are written with Python file I/O and renamed into place (copy them to object storage after).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import math
import os
import re
import shutil
import time
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Callable, Iterable, Iterator, Sequence

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from delta.tables import DeltaTable
from pyspark.errors import AnalysisException, ParseException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from etl import __version__, tables
from etl.catalog import SUBSETS_BY_NAME
from etl.gold.build import GOLD_DOCUMENTS
from etl.io.sources import has_scheme, local_path

# Layout of an export directory: the Hugging Face hub's convention (what `datasets.push_to_hub` writes), e.g.
# data/train-00000-of-00012.parquet; datatrove's readers take any file in the folder, so both tools read it.
DATA_DIR = "data"
DEFAULT_SPLIT = "train"
SPLIT_NAME = re.compile(r"^\w+$")  # the hub finds splits by names delimited by non-word characters
SHARD_INDEX_DIGITS = 5
MANIFEST = "manifest.json"
STAGING_DIR = ".export-staging"  # shards are written here first, then renamed once their count is known
DEFAULT_TABLE = GOLD_DOCUMENTS

# Columns with a meaning: documents (doc_id + text) become datatrove Documents {text, id, metadata}; the rest of
# the columns are the metadata, in table order.
ID_COLUMN, TEXT_COLUMN, LANGUAGE_COLUMN = "doc_id", "text", "language"
RUN_ID_COLUMNS = ("gold_run_id", "silver_run_id", "ingest_run_id")  # lineage shown in the manifest, first found
LAYOUT_DOCUMENTS, LAYOUT_ROWS = "datatrove", "rows"
RECORD_TEXT, RECORD_ID, RECORD_METADATA = "text", "id", "metadata"  # datatrove's Document fields

FORMATS = ("jsonl", "parquet")
# Codec -> file extension, per format; the first codec is the default (datatrove's JsonlWriter gzips; pyarrow and
# the hub's `datasets` write snappy Parquet).
EXTENSIONS = {
    "jsonl": {"gzip": ".jsonl.gz", "zstd": ".jsonl.zst", "none": ".jsonl"},
    "parquet": {"snappy": ".parquet", "zstd": ".parquet", "gzip": ".parquet", "none": ".parquet"},
}
DEFAULT_COMPRESSION = {fmt: next(iter(codecs)) for fmt, codecs in EXTENSIONS.items()}
GZIP_LEVEL = 6  # zlib's default: most of level 9's ratio at a fraction of its time
DEFAULT_SHARD_BYTES = 500 * 1000**2  # the hub's default max_shard_size ("500MB", also uncompressed)

# Parquet row groups close at whichever comes first; they bound the driver's buffer and suit the hub's viewer.
ROW_GROUP_ROWS = 10_000
ROW_GROUP_BYTES = 32 * 2**20
TRANSFER_CHUNK_BYTES = 8 * 2**20  # records per Arrow IPC cell sent from an executor to the driver
SORT_PARTITION_BYTES = 16 * 2**20  # Delta (compressed) bytes per sort partition: the driver holds one at a time
HASH_CHUNK = 2**20

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # WARC-Date's own form (second precision, UTC)
WORD_RE = re.compile(r"\w+")
TOKEN_METHOD = ("words: count of regex \\w+ matches (Python re, Unicode) in the text; a whitespace/punctuation word "
                "count, not a model tokenizer (a run of Han or Kana characters counts as one word)")
SIZE_MEASURE = "uncompressed: UTF-8 bytes of each record's JSON line, as datatrove's max_file_size and the hub's " \
               "max_shard_size count before compression"
# Helper columns riding along with the records from the executors (never written).
HELPER_COLUMNS = H_SIZE, H_TEXT_BYTES, H_TOKENS, H_LANGUAGE, H_RUN_ID, H_LINE, H_KEY = (
    "__export_size", "__export_text_bytes", "__export_tokens", "__export_language", "__export_run_id",
    "__export_line", "__export_key")
IPC_COLUMN = "ipc"


class ExportUsageError(ValueError):
    """A bad option or output directory (the CLI maps it to exit code 2)."""


@dataclass(frozen=True)
class ExportOptions:
    out: str
    table: str = DEFAULT_TABLE
    version: int | None = None  # Delta version to read; None = the latest, pinned when the export starts
    fmt: str = FORMATS[0]
    compression: str | None = None  # None = the format's default
    shard_rows: int | None = None
    shard_bytes: int | None = None  # None (and no shard_rows) = DEFAULT_SHARD_BYTES
    languages: tuple[str, ...] = ()
    subset: str | None = None  # a catalog subset (code, math, qa): only rows whose is_<subset> flag is true
    where: str | None = None  # a Spark SQL condition over the table's columns, e.g. "is_math AND language = 'en'"
    split: str = DEFAULT_SPLIT
    expand_metadata: bool = False  # datatrove's expand_metadata: metadata fields as top-level columns
    overwrite: bool = False

    @property
    def codec(self) -> str:
        return self.compression or DEFAULT_COMPRESSION[self.fmt]

    @property
    def targets(self) -> tuple[int | None, int | None]:
        """(rows, bytes) per shard: exactly one is set."""
        if self.shard_rows is None and self.shard_bytes is None:
            return None, DEFAULT_SHARD_BYTES
        return self.shard_rows, self.shard_bytes


def validate(opts: ExportOptions) -> None:
    """Everything about the options that can be checked before Spark starts; ExportUsageError names the problem."""
    if opts.fmt not in FORMATS:
        raise ExportUsageError(f"--format must be one of {', '.join(FORMATS)}, got {opts.fmt!r}")
    if opts.codec not in EXTENSIONS[opts.fmt]:
        raise ExportUsageError(f"--compression {opts.codec} is not available for {opts.fmt} "
                               f"(choose {', '.join(EXTENSIONS[opts.fmt])})")
    if opts.shard_rows is not None and opts.shard_bytes is not None:
        raise ExportUsageError("give either --shard-rows or --shard-bytes, not both")
    for name, value in (("--shard-rows", opts.shard_rows), ("--shard-bytes", opts.shard_bytes)):
        if value is not None and value <= 0:
            raise ExportUsageError(f"{name} must be positive, got {value}")
    if opts.version is not None and opts.version < 0:
        raise ExportUsageError(f"--table-version must be a Delta version (0 or more), got {opts.version}")
    if opts.subset is not None and opts.subset not in SUBSETS_BY_NAME:
        raise ExportUsageError(f"--subset must be one of {', '.join(SUBSETS_BY_NAME)}, got {opts.subset!r}")
    if opts.where is not None and not opts.where.strip():
        raise ExportUsageError("--where needs a Spark SQL condition, e.g. \"is_code AND language = 'en'\"")
    if not SPLIT_NAME.match(opts.split):
        raise ExportUsageError(f"--split must be letters, digits or _, got {opts.split!r}")
    out_dir(opts)
    _check_out_dir(opts)


def out_dir(opts: ExportOptions) -> str:
    """The output directory as a local path (file: URIs accepted; other schemes are refused)."""
    if has_scheme(opts.out):
        raise ExportUsageError(f"--out {opts.out}: export writes to local paths or file: URIs only; write locally, "
                               f"then copy the directory to its destination")
    return os.path.abspath(local_path(opts.out))


def _check_out_dir(opts: ExportOptions) -> None:
    path = out_dir(opts)
    if os.path.exists(path) and not os.path.isdir(path):
        raise ExportUsageError(f"--out {opts.out} is a file, not a directory")
    if os.path.isdir(path) and os.listdir(path) and not opts.overwrite:
        raise ExportUsageError(f"--out {opts.out} is not empty; give --overwrite to replace its {DATA_DIR}/ and "
                               f"{MANIFEST} (other files, e.g. a README.md dataset card, are kept)")


# ---------------------------------------------------------------------------------------------------------------
# Shard planning (pure)
# ---------------------------------------------------------------------------------------------------------------

def starts_new_shard(rows: int, nbytes: int, weight: int, target_rows: int | None = None,
                     target_bytes: int | None = None) -> bool:
    """Whether the next row (`weight` bytes) opens a new shard, given the current shard's rows and bytes.

    A shard is never empty. By rows it holds exactly `target_rows`. By bytes the row joins when that leaves the shard
    nearer the target than closing without it, so every shard but the last is within half a row of `target_bytes`.
    """
    if rows == 0:
        return False
    if target_rows is not None and rows >= target_rows:
        return True
    # nbytes + weight - target > target - nbytes, in integers
    return target_bytes is not None and 2 * nbytes + weight > 2 * target_bytes


def plan_shards(weights: Iterable[int], target_rows: int | None = None,
                target_bytes: int | None = None) -> list[int]:
    """Rows per shard for rows of these sizes, in order (the rule the writer applies while streaming)."""
    counts: list[int] = []
    rows = nbytes = 0
    for weight in weights:
        if starts_new_shard(rows, nbytes, weight, target_rows, target_bytes):
            counts.append(rows)
            rows = nbytes = 0
        rows, nbytes = rows + 1, nbytes + weight
    return counts + [rows] if rows else counts


def shard_name(split: str, index: int, count: int, extension: str) -> str:
    """data/<split>-00003-of-00012<extension>, the hub's file naming."""
    return f"{DATA_DIR}/{split}-{index:0{SHARD_INDEX_DIGITS}d}-of-{count:0{SHARD_INDEX_DIGITS}d}{extension}"


# ---------------------------------------------------------------------------------------------------------------
# Records (executors)
# ---------------------------------------------------------------------------------------------------------------

def _orderable(dtype: T.DataType) -> bool:
    """Spark cannot sort maps (or structs/arrays holding them)."""
    if isinstance(dtype, (T.MapType, T.VariantType)):
        return False
    if isinstance(dtype, T.ArrayType):
        return _orderable(dtype.elementType)
    if isinstance(dtype, T.StructType):
        return all(_orderable(f.dataType) for f in dtype.fields)
    return True


def order_columns(schema: T.StructType) -> list[str]:
    """doc_id first when there is one, then every other sortable column: a total order for any table."""
    names = [f.name for f in schema.fields if _orderable(f.dataType)]
    return sorted(names, key=lambda name: name != ID_COLUMN)


def layout_of(schema: T.StructType) -> str:
    names = set(schema.fieldNames())
    return LAYOUT_DOCUMENTS if {ID_COLUMN, TEXT_COLUMN} <= names else LAYOUT_ROWS


def _plain(column: pa.Array) -> pa.Array:
    """Timestamps as UTC ISO-8601 strings and dates as ISO dates: what JSON and datatrove metadata can hold."""
    if pa.types.is_timestamp(column.type):
        seconds = column.cast(pa.timestamp("s", tz="UTC"), safe=False)
        return pc.strftime(seconds, format=TIMESTAMP_FORMAT)
    if pa.types.is_date(column.type):
        return column.cast(pa.string())
    return column


def _record_table(batch: pa.RecordBatch, layout: str, expand_metadata: bool) -> pa.Table:
    cols = {name: _plain(batch.column(name)) for name in batch.schema.names}
    if layout == LAYOUT_ROWS:
        return pa.table(cols)
    meta = [name for name in batch.schema.names if name not in (ID_COLUMN, TEXT_COLUMN)]
    record = {RECORD_TEXT: cols[TEXT_COLUMN], RECORD_ID: cols[ID_COLUMN]}
    if expand_metadata:
        record.update({name: cols[name] for name in meta})
    elif meta:
        record[RECORD_METADATA] = pa.StructArray.from_arrays([cols[name] for name in meta], names=meta)
    return pa.table(record)


def _json_line(record: dict) -> bytes:
    # datatrove's JsonlWriter: json.dumps(document, ensure_ascii=False) + "\n"; str() for anything else JSON lacks
    return (json.dumps(record, ensure_ascii=False, default=str) + "\n").encode("utf-8")


def encode_records(batches: Iterator[pa.RecordBatch], layout: str, with_lines: bool,
                   expand_metadata: bool) -> Iterator[pa.RecordBatch]:
    """mapInArrow body: table rows -> records plus helper columns, as Arrow IPC chunks of bounded size."""
    for batch in batches:
        if batch.num_rows == 0:
            continue
        records = _record_table(batch, layout, expand_metadata)
        lines = [_json_line(r) for r in records.to_pylist()]
        names = batch.schema.names
        texts = batch.column(TEXT_COLUMN) if TEXT_COLUMN in names else None
        helpers = {
            H_SIZE: pa.array([len(line) for line in lines], pa.int64()),
            H_TEXT_BYTES: (pc.fill_null(pc.binary_length(texts), 0).cast(pa.int64()) if texts is not None
                           else pa.array([0] * batch.num_rows, pa.int64())),
            H_TOKENS: pa.array([sum(1 for _ in WORD_RE.finditer(t)) if t else 0
                                for t in (texts.to_pylist() if texts is not None else [None] * batch.num_rows)],
                               pa.int64()),
            H_LANGUAGE: (batch.column(LANGUAGE_COLUMN).cast(pa.string()) if LANGUAGE_COLUMN in names
                         else pa.nulls(batch.num_rows, pa.string())),
            H_RUN_ID: next((batch.column(c).cast(pa.string()) for c in RUN_ID_COLUMNS if c in names),
                           pa.nulls(batch.num_rows, pa.string())),
            H_KEY: (batch.column(ID_COLUMN).cast(pa.string()) if ID_COLUMN in names
                    else pa.nulls(batch.num_rows, pa.string())),
        }
        if with_lines:
            helpers[H_LINE] = pa.array(lines, pa.binary())
        for name, column in helpers.items():
            records = records.append_column(name, column)
        for start, stop in _chunks(helpers[H_SIZE].to_pylist(), TRANSFER_CHUNK_BYTES):
            sink = io.BytesIO()
            with pa.ipc.new_stream(sink, records.schema) as writer:
                writer.write_table(records.slice(start, stop - start))
            yield pa.RecordBatch.from_arrays([pa.array([sink.getvalue()], pa.binary())], [IPC_COLUMN])


def _chunks(sizes: Sequence[int], limit: int) -> Iterator[tuple[int, int]]:
    start = total = 0
    for i, size in enumerate(sizes):
        if i > start and total + size > limit:
            yield start, i
            start, total = i, 0
        total += size
    if start < len(sizes):
        yield start, len(sizes)


def _filtered(df: DataFrame, opts: ExportOptions) -> DataFrame:
    """Rows of ``opts.subset`` (its is_<name> flag) and of ``opts.where``; a bad column or condition is a usage
    error, raised here (Spark analyses the condition eagerly), before anything is written."""
    if opts.subset is not None:
        column = SUBSETS_BY_NAME[opts.subset].column
        if column not in df.columns:
            raise ExportUsageError(f"--subset {opts.subset}: {opts.table} has no '{column}' column (gold/documents "
                                   f"written before subsets existed gains it on its next gold step, or rebuild gold)")
        df = df.where(F.col(column))
    if opts.where is not None:
        try:
            df = df.where(F.expr(opts.where))
            df.schema  # analyse now: an unknown column fails here, not mid-export
        except (AnalysisException, ParseException) as exc:
            raise ExportUsageError(f"--where {opts.where!r}: {str(exc).splitlines()[0]}") from None
    return df


def record_frame(df: DataFrame, opts: ExportOptions, partitions: int) -> DataFrame:
    """The transformation: filter, total order, records -> one Arrow IPC chunk per row, partitions in key order."""
    if opts.languages:
        if LANGUAGE_COLUMN not in df.columns:
            raise ExportUsageError(f"--languages: {opts.table} has no '{LANGUAGE_COLUMN}' column")
        df = df.where(F.col(LANGUAGE_COLUMN).isin(list(opts.languages)))
    df = _filtered(df, opts)
    keys = order_columns(df.schema)
    # Range partitions are disjoint, ascending key ranges and each is sorted, so reading partitions in order gives
    # the total order; where the sampled range bounds fall does not change it (the key is unique), only sizes.
    ordered = df.repartitionByRange(partitions, *keys).sortWithinPartitions(*keys)
    encode = partial(encode_records, layout=layout_of(df.schema), with_lines=opts.fmt == "jsonl",
                     expand_metadata=opts.expand_metadata)
    return ordered.mapInArrow(encode, f"{IPC_COLUMN} binary")


# ---------------------------------------------------------------------------------------------------------------
# Shard writers (driver)
# ---------------------------------------------------------------------------------------------------------------

@dataclass
class ShardStats:
    path: str  # relative to the export directory once renamed
    rows: int = 0
    bytes: int = 0  # on disk
    uncompressed_bytes: int = 0
    text_bytes: int = 0
    tokens: int = 0
    sha256: str = ""
    first_id: str | None = None
    last_id: str | None = None


class _Shard:
    """One output file: takes record slices (row groups for Parquet), then reports its size and checksum."""

    def __init__(self, path: str, opts: ExportOptions):
        self.path, self.opts = path, opts
        self.stats = ShardStats(path=os.path.basename(path))
        self._parquet: pq.ParquetWriter | None = None
        self._raw = self._stream = None
        if opts.fmt == "jsonl":
            if opts.codec == "zstd":
                self._stream = pa.CompressedOutputStream(path, "zstd")
            else:
                self._raw = open(path, "wb")
                # mtime=0 and no file name in the gzip header: same rows, same bytes
                self._stream = (gzip.GzipFile(filename="", mode="wb", fileobj=self._raw, mtime=0,
                                              compresslevel=GZIP_LEVEL) if opts.codec == "gzip" else self._raw)

    def write(self, table: pa.Table, record_columns: list[str]) -> None:
        if self.opts.fmt == "jsonl":
            self._stream.write(b"".join(table.column(H_LINE).to_pylist()))
            return
        # One contiguous chunk per column: pyarrow cuts data pages per input chunk, and the chunks reflect Spark's
        # batch boundaries, which vary between runs; the row group itself is cut by the planner.
        records = table.select(record_columns).combine_chunks()
        if self._parquet is None:
            codec = "NONE" if self.opts.codec == "none" else self.opts.codec
            self._parquet = pq.ParquetWriter(self.path, records.schema, compression=codec)
        self._parquet.write_table(records, row_group_size=max(1, records.num_rows))  # one row group per call

    def discard(self) -> None:
        """Close the file handles of a shard that will not be published, ignoring errors (the write failed)."""
        for handle in (self._parquet, self._stream, self._raw):
            try:
                if handle is not None:
                    handle.close()
            except Exception:
                pass

    def close(self) -> ShardStats:
        if self._parquet is not None:
            self._parquet.close()
        if self._stream is not None:
            self._stream.close()
        if self._raw is not None and not self._raw.closed:
            self._raw.close()
        self.stats.bytes = os.path.getsize(self.path)
        self.stats.sha256 = file_sha256(self.path)
        return self.stats


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(HASH_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------------------------
# The export
# ---------------------------------------------------------------------------------------------------------------

@dataclass
class ExportSummary:
    out: str
    table: str
    version: int
    files: list[ShardStats] = field(default_factory=list)
    languages: dict[str, dict[str, int]] = field(default_factory=dict)
    run_ids: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def total(self, key: str) -> int:
        return sum(getattr(f, key) for f in self.files)

    def lines(self) -> list[str]:
        return [
            f"export: {self.table} at Delta version {self.version} -> {self.out}",
            f"  files               {len(self.files):>14,}",
            f"  rows                {self.total('rows'):>14,}",
            f"  bytes on disk       {self.total('bytes'):>14,}  ({self.total('uncompressed_bytes'):,} uncompressed)",
            f"  text bytes (UTF-8)  {self.total('text_bytes'):>14,}",
            f"  tokens (\\w+ words)  {self.total('tokens'):>14,}",
            f"  seconds             {self.seconds:>14.1f}",
            f"  manifest            {os.path.join(self.out, MANIFEST)}",
        ]


class _Tally:
    """Per-language counts and run ids gathered while streaming (deterministic: they depend on the rows only)."""

    def __init__(self):
        self.languages: dict[str, dict[str, int]] = {}
        self.run_ids: set[str] = set()

    def add(self, table: pa.Table) -> None:
        langs = table.column(H_LANGUAGE).to_pylist()
        for lang, nbytes, tokens in zip(langs, table.column(H_TEXT_BYTES).to_pylist(),
                                        table.column(H_TOKENS).to_pylist()):
            entry = self.languages.setdefault(lang if lang is not None else "unknown",
                                              {"rows": 0, "text_bytes": 0, "tokens": 0})
            entry["rows"] += 1
            entry["text_bytes"] += nbytes
            entry["tokens"] += tokens
        self.run_ids.update(r for r in table.column(H_RUN_ID).unique().to_pylist() if r is not None)


def _read_version(spark: SparkSession, lake: str, opts: ExportOptions) -> tuple[DataFrame, int, str | None, int]:
    """(rows at the version, the version, its commit time, sort partitions); the latest version is pinned first."""
    if not tables.exists(spark, lake, opts.table):
        raise ExportUsageError(f"no Delta table {opts.table} under {lake}")
    path = tables.table_path(lake, opts.table)
    latest = tables.version(spark, lake, opts.table)
    version = latest if opts.version is None else opts.version
    if version > latest:
        raise ExportUsageError(f"--table-version {version}: {opts.table} has versions 0 to {latest}")
    delta = DeltaTable.forPath(spark, path)
    commit = delta.history().where(F.col("version") == version).select("timestamp").first()
    committed = commit[0].strftime(TIMESTAMP_FORMAT) if commit is not None and commit[0] is not None else None
    size = delta.detail().select("sizeInBytes").first()[0] or 0  # the latest version's: an estimate for sizing
    partitions = max(1, math.ceil(size / SORT_PARTITION_BYTES))
    df = spark.read.format("delta").option("versionAsOf", version).load(path)
    return df, version, committed, partitions


def export_config_hash(opts: ExportOptions, version: int) -> str:
    """sha256 of the options that decide the bytes (not --out or --overwrite): equal hashes, equal shards."""
    decisive = {k: v for k, v in asdict(opts).items() if k not in ("out", "overwrite", "version")}
    decisive.update(version=version, compression=opts.codec, targets=opts.targets, exporter=__version__)
    return hashlib.sha256(json.dumps(decisive, sort_keys=True, default=list).encode()).hexdigest()


def export_table(spark: SparkSession, lake: str, opts: ExportOptions,
                 progress: Callable[[str], None] = print) -> ExportSummary:
    """Write the table's rows as shards plus manifest.json under opts.out; returns what was written."""
    t0 = time.perf_counter()
    validate(opts)
    out = out_dir(opts)
    df, version, committed, partitions = _read_version(spark, lake, opts)
    frame = record_frame(df, opts, partitions)
    staging = os.path.join(out, STAGING_DIR)
    shutil.rmtree(staging, ignore_errors=True)  # what a crashed export left (only reachable with --overwrite)
    os.makedirs(staging)
    extension = EXTENSIONS[opts.fmt][opts.codec]
    target_rows, target_bytes = opts.targets
    progress(f"export: {opts.table} at version {version}, {partitions} sort partition(s) -> {out} "
             f"({opts.fmt}, {opts.codec}, {'rows' if target_rows else 'bytes'} per shard: "
             f"{target_rows or target_bytes:,})")

    shards: list[ShardStats] = []
    seen = _Tally()
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
            text_bytes, tokens = table.column(H_TEXT_BYTES).to_pylist(), table.column(H_TOKENS).to_pylist()
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
                st.text_bytes, st.tokens = st.text_bytes + text_bytes[i], st.tokens + tokens[i]
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
    manifest = build_manifest(summary, opts, lake, df.schema, record_columns, committed)
    _write_json(os.path.join(out, MANIFEST), manifest)
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


def _write_json(path: str, data: dict) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    os.replace(tmp, path)


def build_manifest(summary: ExportSummary, opts: ExportOptions, lake: str, schema: T.StructType,
                   record_columns: list[str], committed: str | None) -> dict:
    """Everything a dataset card needs, and nothing that changes between two exports of the same version."""
    target_rows, target_bytes = opts.targets
    return {
        "created_by": f"cc-etl {__version__} export",
        "table": opts.table,
        "table_path": tables.table_path(lake, opts.table),
        "delta_version": summary.version,
        "delta_commit_timestamp": committed,
        "filter": {"languages": list(opts.languages) or None, "subset": opts.subset, "where": opts.where},
        "format": opts.fmt,
        "compression": opts.codec,
        "split": opts.split,
        "layout": layout_of(schema),
        "record_fields": record_columns,
        "order_by": order_columns(schema),
        "deterministic": True,
        "determinism": "rows in order_by order, shards cut by rows/bytes only: the same table version and options "
                       "give byte-identical files (same export_config_sha256)",
        "export_config_sha256": export_config_hash(opts, summary.version),
        "run_ids": summary.run_ids,
        "run_id_column": next((c for c in RUN_ID_COLUMNS if c in schema.fieldNames()), None),
        "shard_target": {"rows": target_rows, "bytes": target_bytes,
                         "bytes_measure": SIZE_MEASURE if target_bytes else None},
        "token_count_method": TOKEN_METHOD,
        "totals": {key: summary.total(key) for key in ("rows", "bytes", "uncompressed_bytes", "text_bytes", "tokens")}
        | {"files": len(summary.files)},
        "languages": summary.languages,
        "files": [asdict(f) for f in summary.files],
    }
