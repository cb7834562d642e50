"""Reading one input file into envelope batches: open it, let etl.bronze.formats choose its format, parse.

The top of the bronze reading stack (records.py holds the envelope every format fills, formats/ the formats), so
nothing below imports it; ingest hands `arrow_partition_parser` / `arrow_content_parser` to `mapInArrow`.
"""

from __future__ import annotations

import io
import time
from datetime import datetime, timezone
from typing import Iterator

import pyarrow as pa

from etl.bronze import formats
from etl.bronze.records import STATUS_UNREACHABLE, OpenedFile, whole_file_batch
from etl.config import IngestConfig
from etl.io.sources import RetryPolicy, SourceUnavailable, open_source, source_size


def file_batches(source_file: str, cfg: IngestConfig, content: bytes | None = None,
                 registry: dict | None = None) -> Iterator[pa.RecordBatch]:
    """Parse one file into envelope batches: documents and quarantine rows as they come, the file row last.

    The file's format (WET, WARC, JSONL, Parquet, ...) is chosen by etl.bronze.formats from its name and first
    bytes; ``registry`` is the formats to choose from (default: the registered ones).
    ``content``: the file's bytes when Spark has read them (Hadoop filesystems); otherwise the file is opened here.
    """
    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    policy = RetryPolicy.from_config(cfg)
    try:
        raw = io.BytesIO(content) if content is not None else open_source(source_file, policy, cfg.s3_http_endpoint)
    except SourceUnavailable as exc:
        yield whole_file_batch(source_file, STATUS_UNREACHABLE, "unreachable", str(exc), started, t0)
        return
    size = len(content) if content is not None else source_size(raw)
    with raw:
        yield from formats.read_file(OpenedFile(source_file, raw, size, started, t0), cfg, registry)


def arrow_partition_parser(cfg: IngestConfig):
    """The function handed to `mapInArrow`: each input row names one file; output is envelope batches."""

    registry = _registered_formats()  # travels with the function: formats registered on the driver count too

    def parse(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            for source_file in batch.column("source_file").to_pylist():
                yield from file_batches(source_file, cfg, registry=registry)

    return parse


def arrow_content_parser(cfg: IngestConfig):
    """For `mapInArrow` over Spark's binaryFile rows (path, content): the same envelope from bytes Spark read."""

    registry = _registered_formats()

    def parse(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            for path, content in zip(batch.column("path").to_pylist(), batch.column("content").to_pylist()):
                yield from file_batches(path, cfg, content, registry)

    return parse


def _registered_formats() -> dict:
    return formats.registered()
