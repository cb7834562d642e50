"""What an export is asked to do (`ExportOptions`), the layout of an export directory, and the checks that run
before Spark starts (`validate`, which raises ExportUsageError naming the problem: the CLI's exit 2)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from etl.catalog import SUBSETS_BY_NAME
from etl.config import ExportConfig
from etl.export import base
from etl.export.tokens import TokenizerError, load_tokenizer
from etl.io.sources import has_scheme, local_path
from etl.table_specs import GOLD_DOCUMENTS

# Layout of an export directory: the Hugging Face hub's convention (what `datasets.push_to_hub` writes), e.g.
# data/train-00000-of-00012.parquet; datatrove's readers take any file in the folder, so both tools read it.
DATA_DIR = "data"
DEFAULT_SPLIT = "train"
SPLIT_NAME = re.compile(r"^\w+$")  # the hub finds splits by names delimited by non-word characters
SHARD_INDEX_DIGITS = 5
MANIFEST = "manifest.json"
STAGING_DIR = ".export-staging"  # shards are written here first, then renamed once their count is known
DEFAULT_TABLE = GOLD_DOCUMENTS
DEFAULT_FORMAT = "jsonl"
DEFAULT_SHARD_BYTES = 500 * 1000**2  # the hub's default max_shard_size ("500MB", also uncompressed)
DEFAULT_TOKENIZER = ExportConfig.tokenizer


class ExportUsageError(ValueError):
    """A bad option or output directory (the CLI maps it to exit code 2)."""


@dataclass(frozen=True)
class ExportOptions:
    out: str
    table: str = DEFAULT_TABLE
    version: int | None = None  # Delta version to read; None = the latest, pinned when the export starts
    fmt: str = DEFAULT_FORMAT
    compression: str | None = None  # None = the format's default
    shard_rows: int | None = None
    shard_bytes: int | None = None  # None (and no shard_rows) = DEFAULT_SHARD_BYTES
    languages: tuple[str, ...] = ()
    subset: str | None = None  # a catalog subset (code, math, qa): only rows whose is_<subset> flag is true
    where: str | None = None  # a Spark SQL condition over the table's columns, e.g. "is_math AND language = 'en'"
    split: str = DEFAULT_SPLIT
    expand_metadata: bool = False  # datatrove's expand_metadata: metadata fields as top-level columns
    overwrite: bool = False
    tokenizer: str = DEFAULT_TOKENIZER  # export.tokenizer: etl.export.tokens.load_tokenizer reads it

    @property
    def codec(self) -> str:
        return self.compression or base.default_codec(self.fmt)

    @property
    def extension(self) -> str:
        return base.get(self.fmt).extensions[self.codec]

    @property
    def targets(self) -> tuple[int | None, int | None]:
        """(rows, bytes) per shard: exactly one is set."""
        if self.shard_rows is None and self.shard_bytes is None:
            return None, DEFAULT_SHARD_BYTES
        return self.shard_rows, self.shard_bytes


def validate(opts: ExportOptions) -> None:
    """Everything about the options that can be checked before Spark starts; ExportUsageError names the problem."""
    fmt = base.get(opts.fmt)
    if fmt is None:
        raise ExportUsageError(f"--format must be one of {', '.join(base.names())}, got {opts.fmt!r}")
    if opts.codec not in fmt.extensions:
        raise ExportUsageError(f"--compression {opts.codec} is not available for {opts.fmt} "
                               f"(choose {', '.join(fmt.extensions)})")
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
    try:
        load_tokenizer(opts.tokenizer)
    except TokenizerError as exc:
        raise ExportUsageError(str(exc)) from None
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


def shard_name(split: str, index: int, count: int, extension: str) -> str:
    """data/<split>-00003-of-00012<extension>, the hub's file naming."""
    return f"{DATA_DIR}/{split}-{index:0{SHARD_INDEX_DIGITS}d}-of-{count:0{SHARD_INDEX_DIGITS}d}{extension}"
