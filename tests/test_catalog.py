"""What a refresh leaves besides the data: metastore registrations (schema.<table>) and its `_runs` rows."""

from __future__ import annotations

import pytest

from etl import metastore, tables
from etl.config import ConfigError, load_config
from etl.table_specs import DATA_TABLES
from etl.table_specs import BRONZE_DOCUMENTS, RUNS
from tests.helpers.lakes import SAMPLE_SCHEMA


def test_refresh_registers_every_table_and_the_catalog_reads_the_lake(spark, sample_lake):
    """On the session's sample lake (tests/conftest.py), whose refresh was given schema=SAMPLE_SCHEMA."""
    lake, schema, lines = sample_lake.lake, sample_lake.cfg.schema, sample_lake.lines
    assert schema == SAMPLE_SCHEMA
    assert any(line.startswith(f"catalog: {len(DATA_TABLES) + 1} tables registered in {schema}") for line in lines)
    for name in (*DATA_TABLES, RUNS):
        registered = f"{schema}.{metastore.catalog_name(name)}"
        assert spark.catalog.tableExists(registered), registered
        assert spark.table(registered).count() == tables.read(spark, lake, name).count()
    # The run's own row per stage, for watching refreshes over time.
    runs = {r.stage: r for r in tables.read(spark, lake, RUNS).collect()}
    assert set(runs) == {"bronze", "silver", "gold"} and all(r.seconds > 0 for r in runs.values())
    assert runs["bronze"].rows_out == tables.read(spark, lake, BRONZE_DOCUMENTS).count()
    assert runs["gold"].rows_out == tables.read(spark, lake, "gold/documents").count()
    # Idempotent, and a registration follows the table's later versions (it points at the path).
    again = metastore.register_tables(spark, lake, DATA_TABLES, schema)
    assert len(again) == len(DATA_TABLES)
    location = spark.sql(f"DESCRIBE DETAIL {schema}.bronze_documents").first().location
    assert location.rstrip("/").endswith("lake/bronze/documents")


@pytest.mark.parametrize("overrides, message", [
    ({"schema": "has space"}, "schema must be a plain identifier"),
    ({"catalog": "main"}, "catalog needs a schema"),
    ({"lake": "/Volumes/main/cc/lake", "schema": "cc"}, "cannot be registered in Unity Catalog"),
])
def test_bad_names_are_refused(overrides, message):
    with pytest.raises(ConfigError, match=message):
        load_config(overrides=overrides)
