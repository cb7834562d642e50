"""Every lake table, once: its name, schema, partitioning, Delta properties, comment and Z-order key.

Layers import the spec of each table they read or write from here and never restate a name, a schema or a layout:
`etl.tables.ensure` derives the table's DDL from its spec. A spec whose schema is `None` takes the columns of the
frame its stage writes (silver's depend on the scorers configured; gold/documents' on silver's).
The README's "Table layout" section explains the choices.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa
from pyspark.sql import types as T

# Stage names: the keys of _state/progress and of _runs rows.
STAGE_BRONZE, STAGE_SILVER, STAGE_GOLD = "bronze", "silver", "gold"

# Layout and features per table. Change Data Feed where a later stage (or a user syncing) reads what changed.
CDF = {"delta.enableChangeDataFeed": "true"}
# Tables that delete rows by key are created without deletion vectors, explicitly (Databricks turns them on for new
# tables by default): a table with them needs the `deletionVectors` reader feature, which delta-rs's pyarrow path
# (deltalake 1.6.6, Polars) refuses (README "Readers"). A keyed delete then rewrites the files that hold the keys.
DELETION_VECTORS = {"delta.enableDeletionVectors": "false"}
STATS_COLUMNS_PROPERTY = "delta.dataSkippingStatsColumns"


@dataclass(frozen=True)
class TableSpec:
    """One lake table: where it lives under the lake root, what it holds and how it is laid out."""

    name: str  # path under the lake root; the metastore name swaps "/" for "_" (etl.metastore.catalog_name)
    comment: str
    schema: T.StructType | None = None  # None: the columns of the frame the stage writes
    partition_by: tuple[str, ...] = ()
    properties: dict[str, str] = field(default_factory=dict)
    zorder: tuple[str, ...] = ()  # the key refreshes look rows up by (housekeeping --zorder clusters it)

    def ddl(self) -> str:
        """The schema as a Spark DDL string (for empty frames and mapInArrow output)."""
        if self.schema is None:
            raise ValueError(f"{self.name} takes its columns from the frame written; it has no fixed schema")
        return ddl(self.schema)


def ddl(schema: T.StructType) -> str:
    return ", ".join(f"`{f.name}` {f.dataType.simpleString()}" for f in schema.fields)


def _struct(*fields: tuple[str, T.DataType, bool]) -> T.StructType:
    return T.StructType([T.StructField(name, kind, nullable) for name, kind, nullable in fields])


_S, _L, _I, _D, _TS = T.StringType(), T.LongType(), T.IntegerType(), T.DoubleType(), T.TimestampType()
_REQUIRED, _NULLABLE = False, True

BRONZE_DOCUMENTS = "bronze/documents"
BRONZE_QUARANTINE = "bronze/quarantine"
BRONZE_INGEST_LOG = "bronze/ingest_log"
INGEST_BATCHES = "_state/ingest_batches"
SILVER_DOCUMENTS = "silver/documents"
GOLD_DOCUMENTS = "gold/documents"
GOLD_REJECTIONS = "gold/rejections"
GOLD_DUPLICATES = "gold/duplicates"
GOLD_MINHASH_INDEX = "gold/minhash_index"
GOLD_MINHASH_EDGES = "gold/minhash_edges"
GOLD_CLUSTERS = "gold/clusters"
GOLD_CONTAMINATION = "gold/contamination"
GOLD_BENCHMARKS = "gold/benchmarks"
GOLD_BENCHMARK_NGRAMS = "gold/benchmark_ngrams"
PROGRESS = "_state/progress"
RUNS = "_runs"

_SPECS: dict[str, TableSpec] = {}


def _register(spec: TableSpec) -> TableSpec:
    if spec.name in _SPECS:
        raise ValueError(f"two specs for {spec.name}")
    _SPECS[spec.name] = spec
    return spec


_register(TableSpec(
    BRONZE_DOCUMENTS, "One row per Common Crawl WET conversion record (or other source document), as read.",
    _struct(
        ("doc_id", _S, _REQUIRED),  # blake2b-128 of WARC-Record-ID, hex
        ("warc_record_id", _S, _REQUIRED),
        ("url", _S, _NULLABLE),
        ("url_host", _S, _NULLABLE),
        ("warc_date", _TS, _NULLABLE),
        ("crawl_id", _S, _NULLABLE),  # e.g. CC-MAIN-2024-22, from warcinfo or path
        ("content_length", _L, _NULLABLE),  # payload bytes as declared (and verified)
        ("cc_languages", T.ArrayType(_S), _NULLABLE),  # ISO-639-3, CC's CLD2 result
        ("text", _S, _NULLABLE),  # UTF-8 payload; invalid bytes replaced by U+FFFD
        ("replaced_chars", _I, _NULLABLE),  # U+FFFD inserted while decoding
        ("warc_refers_to", _S, _NULLABLE),
        ("warc_block_digest", _S, _NULLABLE),
        ("source_file", _S, _REQUIRED),
        ("record_offset", _L, _REQUIRED),  # byte offset in the decompressed file
        ("ingest_run_id", _S, _REQUIRED),
        ("ingested_at", _TS, _REQUIRED),
    ),
    partition_by=("crawl_id",),
    # Long text stays out of Delta's per-file statistics: they would bloat the log and never help data skipping.
    properties={STATS_COLUMNS_PROPERTY: "doc_id,source_file,warc_date,url_host,record_offset", **CDF},
    zorder=("doc_id",),
))
_register(TableSpec(
    BRONZE_QUARANTINE, "Every bad record or file, with the reason and where: nothing is dropped silently.",
    _struct(
        ("quarantine_id", _S, _REQUIRED),  # hash of (source_file, offset, reason): idempotent key
        ("source_file", _S, _REQUIRED),
        ("record_offset", _L, _NULLABLE),  # null for whole-file problems
        ("reason", _S, _REQUIRED),  # short code, e.g. truncated_record
        ("detail", _S, _NULLABLE),  # human-readable specifics
        ("warc_record_id", _S, _NULLABLE),
        ("snippet", _S, _NULLABLE),  # first bytes of the bad piece, bounded
        ("ingest_run_id", _S, _REQUIRED),
        ("quarantined_at", _TS, _REQUIRED),
    ),
))
_register(TableSpec(
    BRONZE_INGEST_LOG, "One row per input file and run: what happened to it; makes refreshes incremental.",
    _struct(
        ("source_file", _S, _REQUIRED),
        ("ingest_run_id", _S, _REQUIRED),
        ("status", _S, _REQUIRED),  # ok, partial, empty, not_warc, ... (etl.bronze.records)
        ("records_total", _L, _REQUIRED),  # WARC records seen, any type
        ("documents", _L, _REQUIRED),  # conversion records loaded
        ("quarantined", _L, _REQUIRED),
        ("skipped_other_types", _L, _REQUIRED),  # warcinfo/request/response/metadata
        ("bytes_read", _L, _REQUIRED),  # bytes as stored (compressed)
        ("bytes_decompressed", _L, _REQUIRED),
        ("error", _S, _NULLABLE),
        ("started_at", _TS, _REQUIRED),
        ("duration_s", _D, _REQUIRED),
        # The batch the file was read in (its intent is in _state/ingest_batches): exactly-once bookkeeping.
        ("batch_id", _S, _NULLABLE),
        # The file as read: its size (stat or Content-Length) and crc32 of its bytes when read whole. A later run
        # reads a partial, empty or truncated file again when its size has changed.
        ("source_size", _L, _NULLABLE),
        ("source_checksum", _S, _NULLABLE),
    ),
))
_register(TableSpec(
    INGEST_BATCHES, "The intent of each ingest batch (its files), written before the batch is read.",
    _struct(("batch_id", _S, _REQUIRED), ("source_file", _S, _REQUIRED), ("ingest_run_id", _S, _REQUIRED),
            ("started_at", _TS, _REQUIRED)),
))
_register(TableSpec(
    SILVER_DOCUMENTS, "Normalised text with one column per signal (scores only; thresholds decide in gold).",
    partition_by=("crawl_id",),
    properties={STATS_COLUMNS_PROPERTY: "doc_id,language,warc_date,url_host,gopher_n_words", **CDF},
    zorder=("doc_id",),
))
# Gold: documents by language (how training sets are read), the index by band (each band's buckets together).
_register(TableSpec(
    GOLD_DOCUMENTS, "Kept documents: passed every active rule and survived exact and near-duplicate removal.",
    partition_by=("language",),
    properties={**DELETION_VECTORS, **CDF, STATS_COLUMNS_PROPERTY: "doc_id,crawl_id,warc_date,url_host"},
    zorder=("doc_id",),
))
_register(TableSpec(
    GOLD_REJECTIONS, "Documents set aside, with the first rule that dropped each (drop_reason).",
    _struct(("doc_id", _S, _NULLABLE), ("stage", _S, _NULLABLE), ("reason", _S, _NULLABLE), ("family", _S, _NULLABLE),
            ("gold_run_id", _S, _NULLABLE), ("decided_at", _TS, _NULLABLE)),
    properties={**DELETION_VECTORS},
))
_register(TableSpec(
    GOLD_DUPLICATES, "Documents removed as exact or near duplicates, with the copy that was kept.",
    _struct(("doc_id", _S, _NULLABLE), ("cluster_id", _S, _NULLABLE), ("survivor_id", _S, _NULLABLE),
            ("similarity", _D, _NULLABLE), ("stage", _S, _NULLABLE),  # exact_dedup or near_dedup (etl.gold.dedup)
            ("cluster_size", _L, _NULLABLE), ("gold_run_id", _S, _NULLABLE)),
    properties={**DELETION_VECTORS, **CDF}, zorder=("doc_id",),
))
_register(TableSpec(
    GOLD_MINHASH_INDEX, "LSH band keys of every kept document: the incremental near-duplicate index.",
    _struct(("band", _I, _NULLABLE),  # -1: the exact-text bucket (etl.gold.dedup.EXACT_BAND)
            ("band_hash", _L, _NULLABLE), ("doc_id", _S, _NULLABLE)),
    partition_by=("band",), zorder=("band_hash",),
))
_register(TableSpec(
    GOLD_MINHASH_EDGES, "Candidate pairs that passed verification (Jaccard), per refresh.",
    _struct(("doc_id", _S, _NULLABLE), ("bucket", _S, _NULLABLE),  # "band:band_hash" (etl.gold.dedup.bucket_key)
            ("root_id", _S, _NULLABLE), ("similarity", _D, _NULLABLE)),
    properties={**DELETION_VECTORS}, zorder=("doc_id",),
))
_register(TableSpec(
    GOLD_CLUSTERS, "Near-duplicate clusters: member -> the kept representative.",
    _struct(("doc_id", _S, _NULLABLE), ("cluster_id", _S, _NULLABLE)),
    properties={**DELETION_VECTORS}, zorder=("doc_id",),
))
_register(TableSpec(
    GOLD_CONTAMINATION,
    "Documents sharing a word n-gram with a benchmark: which one, how many n-grams, dropped or flagged.",
    _struct(("doc_id", _S, _NULLABLE), ("url", _S, _NULLABLE), ("benchmark", _S, _NULLABLE),
            ("shared_ngrams", _L, _NULLABLE), ("action", _S, _NULLABLE), ("gold_run_id", _S, _NULLABLE),
            ("decided_at", _TS, _NULLABLE)),
    properties={**DELETION_VECTORS},
))
_register(TableSpec(
    GOLD_BENCHMARKS,
    "Benchmarks in the decontamination index: fingerprint, size, whether existing gold was re-checked.",
    _struct(("benchmark", _S, _NULLABLE), ("fingerprint", _S, _NULLABLE), ("texts", _L, _NULLABLE), ("ngrams", _L, _NULLABLE),
            ("rechecked", T.BooleanType(), _NULLABLE), ("indexed_at", _TS, _NULLABLE), ("gold_run_id", _S, _NULLABLE)),
    properties={**DELETION_VECTORS},
))
_register(TableSpec(
    GOLD_BENCHMARK_NGRAMS, "Hashes of the benchmarks' word n-grams: the decontamination index gold joins against.",
    _struct(("benchmark", _S, _NULLABLE), ("fingerprint", _S, _NULLABLE), ("words", _I, _NULLABLE),
            ("ngram_hash", _L, _NULLABLE)),
    properties={**DELETION_VECTORS},
))
_register(TableSpec(
    PROGRESS, "Each stage's steps: source versions processed, the intent of a step in flight (etl.progress).",
    _struct(
        ("stage", _S, _REQUIRED),
        ("seq", _L, _REQUIRED),
        ("status", _S, _REQUIRED),
        ("after_version", _L, _REQUIRED),  # source versions (after, upto] are this step's input
        ("upto_version", _L, _REQUIRED),
        ("pinned", _S, _REQUIRED),  # JSON {table: version or null} read by the step
        ("run_id", _S, _REQUIRED),
        ("at", _TS, _REQUIRED),
    ),
))
_register(TableSpec(
    RUNS, "One row per refresh and stage: rows in, rows out, seconds.",
    _struct(("run_id", _S, _REQUIRED), ("stage", _S, _REQUIRED), ("rows_in", _L, _NULLABLE), ("rows_out", _L, _NULLABLE),
            ("seconds", _D, _NULLABLE), ("finished_at", _TS, _NULLABLE)),
))

GOLD_TABLES = (GOLD_DOCUMENTS, GOLD_REJECTIONS, GOLD_DUPLICATES, GOLD_MINHASH_INDEX, GOLD_MINHASH_EDGES, GOLD_CLUSTERS,
               GOLD_CONTAMINATION, GOLD_BENCHMARKS, GOLD_BENCHMARK_NGRAMS)
BRONZE_TABLES = (BRONZE_DOCUMENTS, BRONZE_QUARANTINE, BRONZE_INGEST_LOG)
DATA_TABLES = (*BRONZE_TABLES, SILVER_DOCUMENTS, *GOLD_TABLES)
STATE_TABLES = (INGEST_BATCHES, PROGRESS)
# The table each stage reads through its Change Data Feed (etl.progress; housekeeping keeps VACUUM away from the
# files a stage has not read yet).
STAGE_SOURCES = {STAGE_SILVER: BRONZE_DOCUMENTS, STAGE_GOLD: SILVER_DOCUMENTS}


def spec(name: str) -> TableSpec:
    """The spec of table `name` (a KeyError names the tables there are)."""
    try:
        return _SPECS[name]
    except KeyError:
        raise KeyError(f"no table spec for {name!r}; tables: {sorted(_SPECS)}") from None


def all_specs() -> tuple[TableSpec, ...]:
    return tuple(_SPECS.values())


def schema(name: str) -> T.StructType:
    """The fixed schema of table `name`."""
    fixed = spec(name).schema
    if fixed is None:
        raise ValueError(f"{name} takes its columns from the frame written; it has no fixed schema")
    return fixed


# Spark type -> Arrow type, for the readers that build bronze rows as Arrow batches (etl.bronze.records).
_ARROW_TYPES = {"string": pa.string(), "bigint": pa.int64(), "int": pa.int32(), "double": pa.float64(),
                "timestamp": pa.timestamp("us", tz="UTC"), "boolean": pa.bool_()}


def arrow_type(kind: T.DataType) -> pa.DataType:
    if isinstance(kind, T.ArrayType):
        return pa.list_(arrow_type(kind.elementType))
    return _ARROW_TYPES[kind.simpleString()]
