"""Table rows -> export records, on the executors: datatrove's {text, id, metadata} (or the rows as they are), each
record's JSON line and size, the text's UTF-8 bytes, words and tokens, shipped to the driver as Arrow IPC chunks of
bounded size, in a total order (doc_id first) so the same table version gives the same records in the same order."""

from __future__ import annotations

import io
import json
from functools import partial
from typing import Iterator, Sequence

import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql import DataFrame, types as T

from etl.export.base import LINE_COLUMN
from etl.export.selection import LANGUAGE_COLUMN
from etl.export.tokens import TokenizerSpec, token_counts, word_counts

# Columns with a meaning: documents (doc_id + text) become datatrove Documents {text, id, metadata}; the rest of
# the columns are the metadata, in table order.
ID_COLUMN, TEXT_COLUMN = "doc_id", "text"
RUN_ID_COLUMNS = ("gold_run_id", "silver_run_id", "ingest_run_id")  # lineage shown in the manifest, first found
LAYOUT_DOCUMENTS, LAYOUT_ROWS = "datatrove", "rows"
RECORD_TEXT, RECORD_ID, RECORD_METADATA = "text", "id", "metadata"  # datatrove's Document fields
TOKEN_COUNT_FIELD = "token_count"  # datatrove's metadata key for a document's tokens (its TokensCounter, stats)
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # WARC-Date's own form (second precision, UTC)
TRANSFER_CHUNK_BYTES = 8 * 2**20  # records per Arrow IPC cell sent from an executor to the driver
# Helper columns riding along with the records from the executors (never written).
H_SIZE, H_TEXT_BYTES, H_WORDS, H_TOKENS, H_LANGUAGE, H_RUN_ID, H_KEY = (
    "__export_size", "__export_text_bytes", "__export_words", "__export_tokens", "__export_language",
    "__export_run_id", "__export_key")
H_LINE = LINE_COLUMN
HELPER_COLUMNS = (H_SIZE, H_TEXT_BYTES, H_WORDS, H_TOKENS, H_LANGUAGE, H_RUN_ID, H_LINE, H_KEY)
IPC_COLUMN = "ipc"


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


def _record_table(batch: pa.RecordBatch, layout: str, expand_metadata: bool,
                  tokens: pa.Array | None) -> pa.Table:
    cols = {name: _plain(batch.column(name)) for name in batch.schema.names}
    if layout == LAYOUT_ROWS:
        return pa.table(cols)
    meta = [name for name in batch.schema.names if name not in (ID_COLUMN, TEXT_COLUMN)]
    if tokens is not None:  # a real tokenizer's count per document, as datatrove's TokensCounter stores it
        cols[TOKEN_COUNT_FIELD] = tokens
        meta.append(TOKEN_COUNT_FIELD)
    record = {RECORD_TEXT: cols[TEXT_COLUMN], RECORD_ID: cols[ID_COLUMN]}
    if expand_metadata:
        record.update({name: cols[name] for name in meta})
    elif meta:
        record[RECORD_METADATA] = pa.StructArray.from_arrays([cols[name] for name in meta], names=meta)
    return pa.table(record)


def _json_line(record: dict) -> bytes:
    # datatrove's JsonlWriter: json.dumps(document, ensure_ascii=False) + "\n"; str() for anything else JSON lacks
    return (json.dumps(record, ensure_ascii=False, default=str) + "\n").encode("utf-8")


def _string_or_nulls(batch: pa.RecordBatch, names: Sequence[str]) -> pa.Array:
    """The first of ``names`` the batch has, as strings; nulls when it has none."""
    return next((batch.column(c).cast(pa.string()) for c in names if c in batch.schema.names),
                pa.nulls(batch.num_rows, pa.string()))


def encode_records(batches: Iterator[pa.RecordBatch], layout: str, with_lines: bool, expand_metadata: bool,
                   tokenizer: TokenizerSpec | None = None) -> Iterator[pa.RecordBatch]:
    """mapInArrow body: table rows -> records plus helper columns, as Arrow IPC chunks of bounded size."""
    for batch in batches:
        if batch.num_rows == 0:
            continue
        names = batch.schema.names
        texts = batch.column(TEXT_COLUMN) if TEXT_COLUMN in names else None
        text_list = texts.to_pylist() if texts is not None else [None] * batch.num_rows
        words = pa.array(word_counts(text_list), pa.int64())
        tokens = pa.array(token_counts(text_list, tokenizer), pa.int64()) if tokenizer is not None else None
        records = _record_table(batch, layout, expand_metadata, tokens)
        lines = [_json_line(r) for r in records.to_pylist()]
        helpers = {
            H_SIZE: pa.array([len(line) for line in lines], pa.int64()),
            H_TEXT_BYTES: (pc.fill_null(pc.binary_length(texts), 0).cast(pa.int64()) if texts is not None
                           else pa.array([0] * batch.num_rows, pa.int64())),
            H_WORDS: words,
            H_TOKENS: tokens if tokens is not None else words,
            H_LANGUAGE: _string_or_nulls(batch, (LANGUAGE_COLUMN,)),
            H_RUN_ID: _string_or_nulls(batch, RUN_ID_COLUMNS),
            H_KEY: _string_or_nulls(batch, (ID_COLUMN,)),
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


def record_frame(df: DataFrame, partitions: int, with_lines: bool, expand_metadata: bool,
                 tokenizer: TokenizerSpec | None) -> DataFrame:
    """Selected rows in total order -> one Arrow IPC chunk per row, partitions in key order."""
    keys = order_columns(df.schema)
    # Range partitions are disjoint, ascending key ranges and each is sorted, so reading partitions in order gives
    # the total order; where the sampled range bounds fall does not change it (the key is unique), only sizes.
    ordered = df.repartitionByRange(partitions, *keys).sortWithinPartitions(*keys)
    encode = partial(encode_records, layout=layout_of(df.schema), with_lines=with_lines,
                     expand_metadata=expand_metadata, tokenizer=tokenizer)
    return ordered.mapInArrow(encode, f"{IPC_COLUMN} binary")
