"""Statuses and summaries that tell the truth: a file with no WARC record is not_warc (final, read again only once
it changes) and warned about; a batch whose appends were already committed adds, and reports, nothing."""

from __future__ import annotations

import io
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pytest
from pyspark.sql import Row

from etl import tables
from etl.bronze.formats import OpenedFile, read_file
from etl.bronze.ingest import (IngestSummary, _count, batch_id, ensure_bronze_tables, ingest_batch, new_run_id,
                               run_ingest)
from etl.bronze.records import NOT_WARC_DETAIL, STATUS_EMPTY, STATUS_NOT_WARC, STATUS_OK
from etl.config import IngestConfig, load_config
from etl.table_specs import BRONZE_DOCUMENTS, BRONZE_INGEST_LOG

ROOT = Path(__file__).resolve().parents[2]
WHIRLWIND = ROOT / "tests" / "data" / "cc_whirlwind" / "whirlwind.warc.wet.gz"
TEXT = b"Just a note someone saved under the wrong name.\nNo WARC here.\n"


def file_rows(name: str, data: bytes) -> list[dict]:
    src = OpenedFile(name, io.BytesIO(data), len(data), datetime.now(timezone.utc), time.perf_counter())
    return pa.Table.from_batches(list(read_file(src, IngestConfig()))).to_pylist()


@pytest.mark.parametrize("name, data", [
    ("renamed.wet.gz", TEXT),                                 # plain text named like a WET file
    ("error-page.warc.gz", b"<html><body>502 Bad Gateway</body></html>"),  # an HTML error saved as a download
    ("text.wet", TEXT * 3),
])
def test_a_file_without_any_warc_record_is_not_warc(name, data):
    rows = file_rows(name, data)
    status = [r for r in rows if r["kind"] == "file"]
    assert [(r["status"], r["records_total"], r["error"]) for r in status] == [(STATUS_NOT_WARC, 0, NOT_WARC_DETAIL)]
    assert [r["reason"] for r in rows if r["kind"] == "quarantine"] == ["no_record_header"]


def test_a_damaged_file_with_records_stays_partial_and_an_empty_one_empty():
    good = WHIRLWIND.read_bytes()
    assert {r["status"] for r in file_rows("x.wet.gz", good + TEXT) if r["kind"] == "file"} == {"partial"}
    assert {r["status"] for r in file_rows("x.wet.gz", b"") if r["kind"] == "file"} == {STATUS_EMPTY}


def log_row(status, documents=0, error=None, bytes_read=10, source_file="f"):
    return Row(source_file=source_file, status=status, documents=documents, error=error, bytes_read=bytes_read,
               bytes_decompressed=bytes_read)


def test_summary_warns_about_files_that_gave_nothing():
    summary = IngestSummary(run_id="r")
    rows = [log_row(STATUS_OK, 5, source_file="a"), log_row(STATUS_NOT_WARC, error=NOT_WARC_DETAIL, source_file="b"),
            log_row(STATUS_EMPTY, bytes_read=0, source_file="c")]
    _count(summary, ["a", "b", "c"], rows, [], 0, 0)
    warnings = [line.strip() for line in summary.lines() if line.strip().startswith("warning:")]
    assert warnings == [f"warning: b: not_warc: {NOT_WARC_DETAIL}",
                        "warning: c: empty: the file has no bytes (a failed download or copy?)"]
    assert summary.documents_loaded == 5 and summary.batches_already_committed == 0


def test_summary_counts_nothing_for_appends_already_committed():
    summary = IngestSummary(run_id="r")
    _count(summary, ["a"], [log_row(STATUS_OK, 7)], [Row(reason="malformed_header")], 0, 0,
           docs_added=False, quarantine_added=False, log_added=False)
    assert (summary.documents_loaded, summary.quarantined, summary.batches_already_committed) == (0, 0, 1)
    assert any("already committed" in line and "counted there, not here" in line for line in summary.lines())


def test_append_says_whether_it_added(spark, tmp_path):
    path = str(tmp_path / "t")
    rows = spark.range(3)
    assert tables.append(spark, path, rows, txn=("app", 0)) is True
    assert tables.append(spark, path, rows, txn=("app", 0)) is False  # Delta would skip it: it says so
    assert tables.append(spark, path, rows, txn=("app", 1)) is True
    assert tables.txn_committed(spark, path, ("app", 1)) is True and not tables.txn_committed(spark, path, ("app", 2))
    assert spark.read.format("delta").load(path).count() == 6


def test_the_loser_of_a_batch_reports_what_it_added(spark, tmp_path):
    """Two runs given the same batch: the second finds every append committed and adds (and reports) nothing."""
    lake, files = str(tmp_path / "lake"), [str(WHIRLWIND)]
    cfg = load_config(overrides={"lake": lake}).ingest
    ensure_bronze_tables(spark, lake)
    batch = batch_id(files, {})
    winner, loser = IngestSummary(run_id=new_run_id()), IngestSummary(run_id=new_run_id())
    ingest_batch(spark, lake, files, cfg, winner.run_id, winner, batch, set())
    ingest_batch(spark, lake, files, cfg, loser.run_id, loser, batch, set())
    loaded = tables.read(spark, lake, BRONZE_DOCUMENTS).count()
    assert winner.documents_loaded == loaded > 0 and winner.batches_already_committed == 0
    assert loser.documents_loaded == 0 and loser.batches_already_committed == 1
    runs = {r.ingest_run_id for r in tables.read(spark, lake, BRONZE_INGEST_LOG).collect()}
    assert runs == {winner.run_id}


def test_not_warc_is_final_until_the_file_changes(spark, tmp_path):
    lake, wet = str(tmp_path / "lake"), tmp_path / "CC-MAIN-2024-22-download.warc.wet.gz"
    wet.write_bytes(TEXT)
    cfg = load_config(overrides={"lake": lake})
    first = run_ingest(spark, cfg, [str(wet)], lambda _msg: None)
    assert first.file_statuses == {STATUS_NOT_WARC: 1} and first.documents_loaded == 0
    assert any(line.strip().startswith(f"warning: {wet}: not_warc") for line in first.lines())
    again = run_ingest(spark, cfg, [str(wet)], lambda _msg: None)
    assert again.files_already_done == 1 and again.files_processed == 0 and not again.warnings
    shutil.copyfile(WHIRLWIND, wet)  # the real download replaces it: another size, so it is read again
    fixed = run_ingest(spark, cfg, [str(wet)], lambda _msg: None)
    assert fixed.files_reread == 1 and fixed.file_statuses == {STATUS_OK: 1} and fixed.documents_loaded > 0
