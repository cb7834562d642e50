"""Export a lake table (gold/documents by default) as JSONL or Parquet shards plus manifest.json, in the layout
datatrove and the Hugging Face hub read.

Modules: `base` (the output seam: an `OutputFormat` and the registry; a new format is one module like `jsonl` or
`parquet`, registered here), `options` (what is asked, checked before Spark), `selection` (which rows), `records`
(rows -> records on the executors), `tokens` (the tokenizer), `plan` (where shards are cut), `manifest` (what was
written) and `job` (`export_table`, which runs them).
"""

from __future__ import annotations

from etl.export.base import OutputFormat, ShardWriter, get, names, register, registered, unregister
from etl.export.jsonl import JsonlFormat
from etl.export.parquet import ParquetFormat

for _fmt in (JsonlFormat(), ParquetFormat()):  # the first is the default --format
    register(_fmt)

from etl.export.job import export_table  # noqa: E402  (after the built-in formats are registered)
from etl.export.manifest import SIZE_MEASURE, ExportSummary, ShardStats, build_manifest  # noqa: E402
from etl.export.options import (DATA_DIR, DEFAULT_FORMAT, DEFAULT_SHARD_BYTES, DEFAULT_SPLIT, DEFAULT_TABLE,  # noqa: E402
                                MANIFEST, STAGING_DIR, ExportOptions, ExportUsageError, shard_name, validate)
from etl.export.plan import plan_shards, starts_new_shard  # noqa: E402
from etl.export.records import ID_COLUMN, TEXT_COLUMN, TIMESTAMP_FORMAT, TOKEN_COUNT_FIELD  # noqa: E402
from etl.export.tokens import WORD_METHOD, WORD_RE, load_tokenizer, token_counts, word_counts  # noqa: E402

__all__ = ["DATA_DIR", "DEFAULT_FORMAT", "DEFAULT_SHARD_BYTES", "DEFAULT_SPLIT", "DEFAULT_TABLE", "ID_COLUMN",
           "MANIFEST", "SIZE_MEASURE", "STAGING_DIR", "TEXT_COLUMN", "TIMESTAMP_FORMAT", "TOKEN_COUNT_FIELD",
           "WORD_METHOD", "WORD_RE", "ExportOptions", "ExportSummary", "ExportUsageError", "OutputFormat",
           "ShardStats", "ShardWriter", "build_manifest", "export_table", "get", "load_tokenizer", "names",
           "plan_shards", "register", "registered", "shard_name", "starts_new_shard", "token_counts", "unregister",
           "validate", "word_counts"]
