"""A stage lagging past VACUUM's retention: bronze gains versions silver has not read, housekeeping compacts bronze.

Housekeeping refuses to VACUUM files silver has not read; forced, it deletes them, and silver then recovers by
comparing bronze with silver by doc_id (it can no longer read that range from the Change Data Feed) and says so.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from etl import tables
from etl.bronze.ingest import run_ingest
from etl.config import load_config
from etl.housekeeping import RETENTION_PROPERTY, UnreadFilesError, run_housekeeping
from etl.io.warc import Record, WarcReader
from etl.io.warc_writer import write_wet
from etl.silver.build import run_silver
from etl.table_specs import BRONZE_DOCUMENTS, SILVER_DOCUMENTS

ROOT = Path(__file__).resolve().parents[1]
DUPS = ROOT / "data" / "sample" / "GENERATED-duplicates-clough-stevenson-and-mirrors.warc.wet.gz"
RECORDS_PER_FILE = 2
INCREMENTS = 3  # the first is read by silver; the other two arrive while silver is broken


def quiet(_line: str) -> None:
    pass


def _parquet_files(lake: str, name: str) -> set[str]:
    return {p.name for p in Path(tables.table_path(lake, name)).rglob("*.parquet")}


@pytest.fixture()
def increments(tmp_path) -> list[str]:
    """Small WET files of real texts (the sample's Clough-Stevenson answers), one per bronze increment."""
    with open(DUPS, "rb") as fh:
        records = [r for r in WarcReader(fh) if isinstance(r, Record) and r.type == "conversion"]
    paths = []
    for i in range(INCREMENTS):
        path = tmp_path / f"increment{i}.warc.wet.gz"
        chunk = records[i * RECORDS_PER_FILE:(i + 1) * RECORDS_PER_FILE]
        with open(path, "wb") as fh:
            write_wet(fh, [({k: v for k, v in r.headers.items() if k != "content-length"}, r.payload) for r in chunk])
        paths.append(str(path))
    return paths


def test_silver_recovers_after_housekeeping_vacuumed_what_it_had_not_read(spark, lake, increments):
    cfg = load_config(overrides={"lake": lake})
    run_ingest(spark, cfg, increments[:1], quiet)
    run_silver(spark, cfg, "silver-1", quiet)
    for path in increments[1:]:  # silver is broken meanwhile: bronze gains two versions it has not read
        run_ingest(spark, cfg, [path], quiet)
    bronze_path = tables.table_path(lake, BRONZE_DOCUMENTS)
    # A lake whose tables promise no retention: the time check passes, so only the unread-files check can refuse.
    spark.sql(f"ALTER TABLE delta.`{bronze_path}` SET TBLPROPERTIES ('{RETENTION_PROPERTY}' = 'interval 0 hours')")
    before = _parquet_files(lake, BRONZE_DOCUMENTS)

    with pytest.raises(UnreadFilesError, match="bronze/documents.*silver"):
        run_housekeeping(spark, lake, (BRONZE_DOCUMENTS,), hours=0, progress=quiet)
    assert before <= _parquet_files(lake, BRONZE_DOCUMENTS)  # compacted, but nothing silver needs deleted

    lines: list[str] = []
    summary = run_housekeeping(spark, lake, (BRONZE_DOCUMENTS,), hours=0, force=True, progress=lines.append)
    assert summary.results[0].vacuumable > 0 and "VACUUM refused" not in "\n".join(lines)
    assert not before & _parquet_files(lake, BRONZE_DOCUMENTS)  # silver's unread files are gone

    said: list[str] = []
    run_silver(spark, cfg, "silver-2", said.append)

    assert any("Change Data Feed" in line and "comparing bronze with silver by doc_id" in line for line in said)
    silver_ids = [r.doc_id for r in tables.read(spark, lake, SILVER_DOCUMENTS).select("doc_id").collect()]
    bronze_ids = [r.doc_id for r in tables.read(spark, lake, BRONZE_DOCUMENTS).select("doc_id").collect()]
    assert len(bronze_ids) == INCREMENTS * RECORDS_PER_FILE
    assert sorted(silver_ids) == sorted(bronze_ids)  # every document once, none lost, none twice
    again: list[str] = []
    run_silver(spark, cfg, "silver-3", again.append)
    assert any("nothing new in bronze/documents" in line for line in again)
