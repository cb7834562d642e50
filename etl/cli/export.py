"""`export` / `cc-etl export`: a lake table (gold/documents by default) -> JSONL/Parquet shards + manifest."""

from __future__ import annotations

import re

from etl.catalog import SUBSETS_BY_NAME
from etl.cli.common import UsageError, base_parser, config_from_args, run_job, session
from etl.config import BUNDLED_TOKENIZER, TOKENIZER_WORDS
from etl.export import (DATA_DIR, DEFAULT_FORMAT, DEFAULT_SHARD_BYTES, DEFAULT_SPLIT, DEFAULT_TABLE, MANIFEST,
                        SIZE_MEASURE, TOKEN_COUNT_FIELD, WORD_METHOD, ExportOptions, ExportUsageError, export_table,
                        registered, validate)

EXPORT_EPILOG = f"""examples:
  python jobs/export.py --lake lake --out export/gold                                    # jsonl.gz, 500MB shards
  python jobs/export.py --lake lake --out export/gold --format parquet --shard-bytes 256MB --overwrite
  python jobs/export.py --lake lake --out export/ar --languages ar --shard-rows 100000
  python jobs/export.py --lake lake --out export/math --subset math                      # is_math documents only
  python jobs/export.py --lake lake --out export/code-en --where "is_code AND language = 'en'"
  python jobs/export.py --lake file:///data/lake --table-version 12 --out /data/export/v12 --format parquet \\
    --compression zstd
  python jobs/export.py --lake lake --table silver/documents --out export/silver --expand-metadata

Writes {DATA_DIR}/<split>-00000-of-0000N.<ext> (the Hugging Face hub's naming; datatrove's readers take the folder)
and {MANIFEST}: table, Delta version read, files with rows, bytes and sha256, text bytes, words and tokens per file
and per language, and the tokenizer. Tables with doc_id and text are written as datatrove Documents
{{text, id, metadata}} (metadata.{TOKEN_COUNT_FIELD}: the document's tokens); other tables row by row. Rows are
ordered by doc_id, so the same version and options give byte-identical files.
Shard sizes count {SIZE_MEASURE}.
Tokens are counted by the tokenizer export.tokenizer names: {BUNDLED_TOKENIZER} (the bundled GPT-2 BPE, default), a
tokenizers JSON file (--set export.tokenizer=/path/tokenizer.json), or {TOKENIZER_WORDS} ({WORD_METHOD}).
--table-version N reads the table as of Delta version N (time travel).
Writes local paths and file: URIs only. A non-empty --out is refused (exit 2) unless --overwrite."""

SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b?|b)?\s*$", re.IGNORECASE)
SIZE_UNITS = {"": 1, "b": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12,
              "ki": 2**10, "mi": 2**20, "gi": 2**30, "ti": 2**40}


def parse_size(text: str) -> int:
    """'500MB' -> 500,000,000; '256MiB' -> 268,435,456; plain numbers are bytes."""
    match = SIZE.match(text)
    if not match:
        raise UsageError(f"--shard-bytes: not a size: {text!r} (e.g. 500MB, 256MiB, 1000000)")
    unit = (match.group(2) or "").lower().rstrip("b")
    return int(float(match.group(1)) * SIZE_UNITS[unit])


def _positive_int(name: str, text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        raise UsageError(f"{name}: not a whole number: {text!r}") from None


def export_main(argv: list[str] | None = None) -> int:
    parser = base_parser("export", "Export a lake table (default gold/documents) as JSONL or Parquet shards with a "
                         "manifest, in the layout datatrove and the Hugging Face hub read.", EXPORT_EPILOG)
    parser.add_argument("--table-version", metavar="N",
                        help="read the table as of this Delta version (default: the latest, pinned at start)")
    parser.add_argument("--table", default=DEFAULT_TABLE, help=f"lake table to export (default {DEFAULT_TABLE})")
    parser.add_argument("--out", metavar="DIR", required=True, help="output directory (local path or file: URI)")
    formats = registered()
    parser.add_argument("--format", default=DEFAULT_FORMAT, choices=list(formats), help=f"default {DEFAULT_FORMAT}")
    parser.add_argument("--compression", metavar="CODEC",
                        help="; ".join(f"{name}: {', '.join(fmt.extensions)}" for name, fmt in formats.items())
                        + " (first = default)")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--shard-rows", metavar="N", help="rows per shard")
    size.add_argument("--shard-bytes", metavar="SIZE",
                      help=f"uncompressed bytes per shard, e.g. 256MB or 1GiB (default {DEFAULT_SHARD_BYTES:,})")
    parser.add_argument("--languages", help="comma-separated language codes to keep, e.g. 'ar' or 'en,de'")
    parser.add_argument("--subset", choices=list(SUBSETS_BY_NAME),
                        help="only documents of this subset (gold's is_<subset> flag; docs/subsets.md)")
    parser.add_argument("--where", metavar="SQL",
                        help="only rows where this Spark SQL condition holds, e.g. \"is_qa AND language = 'de'\"")
    parser.add_argument("--split", default=DEFAULT_SPLIT, help=f"split name in file names (default {DEFAULT_SPLIT})")
    parser.add_argument("--expand-metadata", action="store_true",
                        help="metadata fields as top-level fields/columns instead of one 'metadata' object")
    parser.add_argument("--overwrite", action="store_true",
                        help=f"replace {DATA_DIR}/ and {MANIFEST} in a non-empty --out (other files are kept)")
    args = parser.parse_args(argv)

    def body() -> list[str]:
        cfg = config_from_args(args)  # --print-config stops here
        languages = tuple(c.strip() for c in (args.languages or "").split(",") if c.strip())
        opts = ExportOptions(
            out=args.out, table=args.table, version=_positive_int("--table-version", args.table_version), fmt=args.format,
            compression=args.compression, shard_rows=_positive_int("--shard-rows", args.shard_rows),
            shard_bytes=parse_size(args.shard_bytes) if args.shard_bytes is not None else None,
            languages=languages, subset=args.subset, where=args.where, split=args.split,
            expand_metadata=args.expand_metadata, overwrite=args.overwrite, tokenizer=cfg.export.tokenizer)
        try:
            validate(opts)  # before Spark starts: seconds to a clear error
            return export_table(session(cfg), cfg.lake, opts).lines()
        except ExportUsageError as exc:
            raise UsageError(str(exc)) from None

    return run_job("export", body)
