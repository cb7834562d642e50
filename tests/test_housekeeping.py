"""OPTIMIZE and VACUUM over a tiny lake of real Delta tables named like the pipeline's (etl.table_specs.DATA_TABLES)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from delta.tables import DeltaTable

from etl import tables
from etl.cli.common import EXIT_OK, EXIT_USAGE
from etl.cli.housekeeping import housekeeping_main
from etl.table_specs import BRONZE_DOCUMENTS, BRONZE_QUARANTINE, GOLD_DOCUMENTS, SILVER_DOCUMENTS
from etl.housekeeping import (DEFAULT_RETENTION_HOURS, LISTING_PARALLELISM_CONF, RetentionError, retention_hours,
                              run_housekeeping)

ROOT = Path(__file__).resolve().parents[1]
# Each append is one commit of one file, so a table starts as this many small files.
SMALL_APPENDS = 4
LAKE_TABLES = (BRONZE_DOCUMENTS, SILVER_DOCUMENTS, GOLD_DOCUMENTS)


def _num_files(spark, lake: str, name: str) -> int:
    return DeltaTable.forPath(spark, tables.table_path(lake, name)).detail().first()["numFiles"]


def _parquet_on_disk(lake: str, name: str) -> int:
    return len(list(Path(tables.table_path(lake, name)).glob("*.parquet")))


@pytest.fixture()
def small_lake(spark, lake) -> str:
    for name in LAKE_TABLES:
        for batch in range(SMALL_APPENDS):
            rows = [(f"doc-{batch}-{i}", lang) for i, lang in enumerate(["en", "ar", None])]
            df = spark.createDataFrame(rows, "doc_id string, language string").coalesce(1)
            df.write.format("delta").mode("append").save(tables.table_path(lake, name))
    return lake


def test_optimize_compacts_and_forced_vacuum_deletes_replaced_files(spark, small_lake, capsys):
    before = {name: _num_files(spark, small_lake, name) for name in LAKE_TABLES}
    assert all(n == SMALL_APPENDS for n in before.values())

    code = housekeeping_main(["--lake", small_lake, "--retention-hours", "0", "--force", "--zorder"])

    assert code == EXIT_OK
    for name in LAKE_TABLES:
        assert _num_files(spark, small_lake, name) == 1
        assert _parquet_on_disk(small_lake, name) == 1  # the 4 compacted-away files are gone
        assert tables.read(spark, small_lake, name).count() == SMALL_APPENDS * 3  # no row changed
    out = capsys.readouterr().out
    assert "gold/documents" in out and "(z-ordered)" in out
    # Safety check restored for the rest of the session.
    assert spark.conf.get("spark.databricks.delta.retentionDurationCheck.enabled") == "true"


def test_default_retention_keeps_recently_replaced_files(spark, small_lake):
    summary = run_housekeeping(spark, small_lake)

    for result in summary.results:
        assert (result.files_before, result.files_after, result.vacuumable) == (SMALL_APPENDS, 1, 0)
        assert _parquet_on_disk(small_lake, result.name) == SMALL_APPENDS + 1
    assert {r.name for r in summary.results} == set(LAKE_TABLES)  # absent tables skipped


def test_a_line_per_table_as_it_goes_and_single_file_tables_are_not_compacted(spark, small_lake):
    """Tables run side by side; each line is printed when its table is done, in the order they finish."""
    single = tables.table_path(small_lake, BRONZE_QUARANTINE)
    spark.createDataFrame([("q-1",)], "quarantine_id string").coalesce(1).write.format("delta").save(single)
    single_version = tables.version(spark, small_lake, BRONZE_QUARANTINE)
    listing = spark.conf.get(LISTING_PARALLELISM_CONF)
    files_when_said: dict[str, dict[str, int]] = {}

    def progress(line: str) -> None:  # what the lake looks like when each table's line is printed
        name = line.split()[0]
        if name in LAKE_TABLES:
            files_when_said[name] = {n: _num_files(spark, small_lake, n) for n in LAKE_TABLES}

    summary = run_housekeeping(spark, small_lake, progress=progress)

    for name in LAKE_TABLES:  # each table's line is printed as soon as that table is done (tables run in parallel)
        assert files_when_said[name][name] == 1, name
    quarantine = next(r for r in summary.results if r.name == BRONZE_QUARANTINE)
    assert quarantine.note == "nothing to compact" and "nothing to compact" in summary.row(quarantine)
    assert tables.version(spark, small_lake, BRONZE_QUARANTINE) == single_version  # no OPTIMIZE commit
    assert all(r.seconds > 0 for r in summary.results)
    assert spark.conf.get(LISTING_PARALLELISM_CONF) == listing  # VACUUM's listing parallelism restored


def test_dry_run_changes_nothing(spark, small_lake):
    versions = {name: tables.version(spark, small_lake, name) for name in LAKE_TABLES}
    summary = run_housekeeping(spark, small_lake, dry_run=True)
    assert all(r.files_before == r.files_after == SMALL_APPENDS for r in summary.results)
    assert versions == {name: tables.version(spark, small_lake, name) for name in LAKE_TABLES}


def test_short_retention_without_force_is_refused(spark, small_lake, capsys):
    assert housekeeping_main(["--lake", small_lake, "--retention-hours", "1"]) == EXIT_USAGE
    assert "--force" in capsys.readouterr().err
    assert all(_num_files(spark, small_lake, name) == SMALL_APPENDS for name in LAKE_TABLES)  # untouched


def test_library_refuses_short_retention_with_its_own_error(spark, small_lake):
    with pytest.raises(RetentionError, match="--force"):  # the CLI maps it to exit code 2 (above)
        run_housekeeping(spark, small_lake, hours=1)
    assert all(_num_files(spark, small_lake, name) == SMALL_APPENDS for name in LAKE_TABLES)


def test_unknown_table_and_empty_lake_are_usage_errors(spark, lake, small_lake):
    assert housekeeping_main(["--lake", small_lake, "--tables", "gold/nope"]) == EXIT_USAGE
    assert housekeeping_main(["--lake", lake + "-empty"]) == EXIT_USAGE


@pytest.mark.parametrize(("interval", "hours"), [
    (None, DEFAULT_RETENTION_HOURS), ("interval 1 week", 168), ("interval 2 days", 48), ("36 hours", 36),
    ("interval 1 day 12 hours", 36), ("garbage", DEFAULT_RETENTION_HOURS),
])
def test_retention_hours_parses_delta_intervals(interval, hours):
    assert retention_hours(interval) == hours


def test_help_works_without_spark():
    result = subprocess.run([sys.executable, str(ROOT / "jobs" / "housekeeping.py"), "--help"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "--retention-hours" in result.stdout and "VACUUM" in result.stdout


@pytest.mark.slow
def test_job_prints_each_table_and_exits_cleanly_after_done(small_lake):
    """Its own Spark session, stopped before it returns: nothing (no shutdown-hook stack trace) after "done"."""
    result = subprocess.run([sys.executable, str(ROOT / "jobs" / "housekeeping.py"), "--lake", small_lake,
                             "--set", "spark.ui_enabled=false"], capture_output=True, text=True, timeout=600)
    assert result.returncode == EXIT_OK, result.stderr[-2000:]
    lines = result.stdout.strip().splitlines()
    assert lines[-1].startswith("housekeeping: done")
    assert all(any(line.split()[:1] == [name] for line in lines) for name in LAKE_TABLES)
    assert "\tat " not in result.stderr and "Exception" not in result.stderr, result.stderr[-2000:]
