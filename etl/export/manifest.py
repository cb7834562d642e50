"""What an export wrote, as manifest.json: the table and Delta version read, the selection, the tokenizer, per file
its rows, bytes, sha256, first/last id, text bytes, words and tokens, and totals and per-language counts."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field

import pyarrow as pa
from pyspark.sql import types as T

from etl import __version__, tables
from etl.export.options import MANIFEST, ExportOptions
from etl.export.records import H_LANGUAGE, H_RUN_ID, H_TEXT_BYTES, H_TOKENS, H_WORDS, RUN_ID_COLUMNS, \
    TOKEN_COUNT_FIELD, layout_of, order_columns
from etl.export.tokens import TokenizerSpec, count_method

SIZE_MEASURE = "uncompressed: UTF-8 bytes of each record's JSON line, as datatrove's max_file_size and the hub's " \
               "max_shard_size count before compression"
COUNTED = ("rows", "text_bytes", "words", "tokens")  # summed per file, per language and in the totals
TOTALLED = ("rows", "bytes", "uncompressed_bytes", "text_bytes", "words", "tokens")
WORDS_ONLY = "words"  # the manifest's tokenizer name when tokens are words


@dataclass
class ShardStats:
    path: str  # relative to the export directory once renamed
    rows: int = 0
    bytes: int = 0  # on disk
    uncompressed_bytes: int = 0
    text_bytes: int = 0
    words: int = 0
    tokens: int = 0
    sha256: str = ""
    first_id: str | None = None
    last_id: str | None = None


@dataclass
class ExportSummary:
    out: str
    table: str
    version: int
    tokenizer: str = WORDS_ONLY
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
            f"  words (\\w+)         {self.total('words'):>14,}",
            f"  tokens              {self.total('tokens'):>14,}  ({self.tokenizer})",
            f"  seconds             {self.seconds:>14.1f}",
            f"  manifest            {os.path.join(self.out, MANIFEST)}",
        ]


class Tally:
    """Per-language counts and run ids gathered while streaming (deterministic: they depend on the rows only)."""

    def __init__(self):
        self.languages: dict[str, dict[str, int]] = {}
        self.run_ids: set[str] = set()

    def add(self, table: pa.Table) -> None:
        columns = zip(table.column(H_LANGUAGE).to_pylist(), table.column(H_TEXT_BYTES).to_pylist(),
                      table.column(H_WORDS).to_pylist(), table.column(H_TOKENS).to_pylist())
        for lang, nbytes, words, tokens in columns:
            entry = self.languages.setdefault(lang if lang is not None else "unknown", dict.fromkeys(COUNTED, 0))
            for key, value in zip(COUNTED, (1, nbytes, words, tokens)):
                entry[key] += value
        self.run_ids.update(r for r in table.column(H_RUN_ID).unique().to_pylist() if r is not None)


def export_config_hash(opts: ExportOptions, version: int, tokenizer: TokenizerSpec | None) -> str:
    """sha256 of the options that decide the bytes (not --out or --overwrite): equal hashes, equal shards."""
    decisive = {k: v for k, v in asdict(opts).items() if k not in ("out", "overwrite", "version", "tokenizer")}
    decisive.update(version=version, compression=opts.codec, targets=opts.targets, exporter=__version__,
                    tokenizer=tokenizer.sha256 if tokenizer is not None else WORDS_ONLY)
    return hashlib.sha256(json.dumps(decisive, sort_keys=True, default=list).encode()).hexdigest()


def tokenizer_entry(spec: TokenizerSpec | None) -> dict | None:
    if spec is None:
        return None
    from tokenizers import __version__ as tokenizers_version

    return {"name": spec.name, "source": spec.source, "sha256": spec.sha256, "library": "tokenizers",
            "library_version": tokenizers_version, "per_document_field": TOKEN_COUNT_FIELD}


def build_manifest(summary: ExportSummary, opts: ExportOptions, lake: str, schema: T.StructType,
                   record_columns: list[str], committed: str | None, tokenizer: TokenizerSpec | None) -> dict:
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
        "export_config_sha256": export_config_hash(opts, summary.version, tokenizer),
        "run_ids": summary.run_ids,
        "run_id_column": next((c for c in RUN_ID_COLUMNS if c in schema.fieldNames()), None),
        "shard_target": {"rows": target_rows, "bytes": target_bytes,
                         "bytes_measure": SIZE_MEASURE if target_bytes else None},
        "tokenizer": tokenizer_entry(tokenizer),
        "token_count_method": count_method(tokenizer),
        "totals": {key: summary.total(key) for key in TOTALLED}
        | {"files": len(summary.files), "documents": summary.total("rows"), "tokenizer": summary.tokenizer},
        "languages": summary.languages,
        "files": [asdict(f) for f in summary.files],
    }


def write_json(path: str, data: dict) -> None:
    """Write through a temporary file and rename, so a reader never sees half a manifest."""
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    os.replace(tmp, path)
