"""StructType contracts for the bronze tables (silver and gold schemas live next to their builders)."""

from __future__ import annotations

from pyspark.sql import types as T

# One row per WET conversion record.
BRONZE_DOCUMENTS = T.StructType(
    [
        T.StructField("doc_id", T.StringType(), False),  # blake2b-128 of WARC-Record-ID, hex
        T.StructField("warc_record_id", T.StringType(), False),
        T.StructField("url", T.StringType(), True),
        T.StructField("url_host", T.StringType(), True),
        T.StructField("warc_date", T.TimestampType(), True),
        T.StructField("crawl_id", T.StringType(), True),  # e.g. CC-MAIN-2024-22, from warcinfo or path
        T.StructField("content_length", T.LongType(), True),  # payload bytes as declared (and verified)
        T.StructField("cc_languages", T.ArrayType(T.StringType()), True),  # ISO-639-3, CC's CLD2 result
        T.StructField("text", T.StringType(), True),  # UTF-8 payload; invalid bytes replaced by U+FFFD
        T.StructField("replaced_chars", T.IntegerType(), True),  # U+FFFD inserted while decoding
        T.StructField("warc_refers_to", T.StringType(), True),
        T.StructField("warc_block_digest", T.StringType(), True),
        T.StructField("source_file", T.StringType(), False),
        T.StructField("record_offset", T.LongType(), False),  # byte offset in the decompressed file
        T.StructField("ingest_run_id", T.StringType(), False),
        T.StructField("ingested_at", T.TimestampType(), False),
    ]
)

# Every bad record or file, with why and where; nothing is dropped silently.
BRONZE_QUARANTINE = T.StructType(
    [
        T.StructField("quarantine_id", T.StringType(), False),  # hash of (source_file, offset, reason): idempotent key
        T.StructField("source_file", T.StringType(), False),
        T.StructField("record_offset", T.LongType(), True),  # null for whole-file problems
        T.StructField("reason", T.StringType(), False),  # short code, e.g. truncated_record
        T.StructField("detail", T.StringType(), True),  # human-readable specifics
        T.StructField("warc_record_id", T.StringType(), True),
        T.StructField("snippet", T.StringType(), True),  # first bytes of the bad piece, bounded
        T.StructField("ingest_run_id", T.StringType(), False),
        T.StructField("quarantined_at", T.TimestampType(), False),
    ]
)

# One row per input file and run: what happened to it; makes refreshes incremental.
BRONZE_INGEST_LOG = T.StructType(
    [
        T.StructField("source_file", T.StringType(), False),
        T.StructField("ingest_run_id", T.StringType(), False),
        T.StructField("status", T.StringType(), False),  # ok, partial, empty, not_warc, ... (bronze/records.py)
        T.StructField("records_total", T.LongType(), False),  # WARC records seen, any type
        T.StructField("documents", T.LongType(), False),  # conversion records loaded
        T.StructField("quarantined", T.LongType(), False),
        T.StructField("skipped_other_types", T.LongType(), False),  # warcinfo/request/response/metadata
        T.StructField("bytes_read", T.LongType(), False),  # bytes as stored (compressed)
        T.StructField("bytes_decompressed", T.LongType(), False),
        T.StructField("error", T.StringType(), True),
        T.StructField("started_at", T.TimestampType(), False),
        T.StructField("duration_s", T.DoubleType(), False),
        # The batch the file was read in (its intent is in _state/ingest_batches): exactly-once bookkeeping.
        T.StructField("batch_id", T.StringType(), True),
        # The file as read: its size (stat or Content-Length) and crc32 of its bytes when read whole. A later run
        # reads a partial, empty or truncated file again when its size has changed.
        T.StructField("source_size", T.LongType(), True),
        T.StructField("source_checksum", T.StringType(), True),
    ]
)
