"""What a refresh leaves besides the data: metastore registrations (schema.<table>) and its `_runs` rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from etl import tables
from etl.config import ConfigError, load_config
from etl.pipeline import ALL_TABLES, refresh
from etl.runs import RUNS

ROOT = Path(__file__).resolve().parents[1]
ONE_RECORD = ROOT / "data" / "sample" / "CC-MAIN-2024-22-whirlwind.warc.wet.gz"
SCHEMA = "cc_etl_test"


def test_refresh_registers_every_table_and_the_catalog_reads_the_lake(spark, tmp_path):
    lake = str(tmp_path / "lake")
    lines: list[str] = []
    refresh(spark, load_config(overrides={"lake": lake, "schema": SCHEMA}), [str(ONE_RECORD)], lines.append)
    assert any(line.startswith(f"catalog: {len(ALL_TABLES) + 1} tables registered in {SCHEMA}") for line in lines)
    for name in (*ALL_TABLES, RUNS):
        registered = f"{SCHEMA}.{tables.catalog_name(name)}"
        assert spark.catalog.tableExists(registered), registered
        assert spark.table(registered).count() == tables.read(spark, lake, name).count()
    # The run's own row per stage, for watching refreshes over time.
    runs = {r.stage: r for r in tables.read(spark, lake, RUNS).collect()}
    assert set(runs) == {"bronze", "silver", "gold"} and all(r.seconds > 0 for r in runs.values())
    assert runs["bronze"].rows_out == tables.read(spark, lake, tables.BRONZE_DOCUMENTS).count()
    assert runs["gold"].rows_out == tables.read(spark, lake, "gold/documents").count()
    # Idempotent, and a registration follows the table's later versions (it points at the path).
    again = tables.register_tables(spark, lake, ALL_TABLES, SCHEMA)
    assert len(again) == len(ALL_TABLES)
    location = spark.sql(f"DESCRIBE DETAIL {SCHEMA}.bronze_documents").first().location
    assert location.rstrip("/").endswith("lake/bronze/documents")


@pytest.mark.parametrize("overrides, message", [
    ({"schema": "has space"}, "schema must be a plain identifier"),
    ({"catalog": "main"}, "catalog needs a schema"),
    ({"lake": "/Volumes/main/cc/lake", "schema": "cc"}, "cannot be registered in Unity Catalog"),
])
def test_bad_names_are_refused(overrides, message):
    with pytest.raises(ConfigError, match=message):
        load_config(overrides=overrides)
