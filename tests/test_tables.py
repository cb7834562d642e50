"""Delta helpers under concurrency: table creation races and which errors count as write conflicts."""

from __future__ import annotations

import pytest
from pyspark.errors import AnalysisException

from etl import commits, tables
from tests.helpers.concurrency import run_at_once

SCHEMA = "doc_id string, n long"


def test_racing_creators_get_one_table(spark, tmp_path):
    """Threads creating the same table at once: every one returns the table, none fails, one commit exists."""
    schema = spark.createDataFrame([], SCHEMA).schema
    for round_ in range(3):
        path = str(tmp_path / f"t{round_}")
        errors = run_at_once(lambda: tables.ensure_table(spark, path, schema), threads=3)
        assert not errors, errors
        stored = spark.read.format("delta").load(path).schema
        assert [(f.name, f.dataType) for f in stored] == [(f.name, f.dataType) for f in schema]
        assert stored["doc_id"].metadata["comment"] == tables.column_comment("doc_id")  # from etl.catalog


def test_only_delta_conflicts_are_retried(spark, tmp_path):
    with pytest.raises(AnalysisException) as missing:
        spark.read.format("delta").load(str(tmp_path / "absent")).count()
    assert not commits.is_conflict(missing.value)
    assert not commits.is_conflict(ValueError("ConcurrentAppendException in a message is not a conflict"))
    calls = []

    def fails_once_with_a_real_error() -> None:
        calls.append(1)
        raise missing.value

    with pytest.raises(AnalysisException):
        commits.with_retries(fails_once_with_a_real_error, retries=3, what="read")
    assert len(calls) == 1  # not retried


def test_txn_append_is_skipped_on_rerun(spark, tmp_path):
    path = str(tmp_path / "t")
    tables.ensure_table(spark, path, spark.createDataFrame([], SCHEMA).schema)
    df = spark.createDataFrame([("a", 1), ("b", 2)], SCHEMA)
    for _ in range(3):
        tables.append(spark, path, df, txn=("app", 7))
    tables.append(spark, path, df, txn=("app", 6))  # an older version of the same app: also skipped
    assert spark.read.format("delta").load(path).count() == 2
    tables.append(spark, path, df, txn=("app", 8))
    assert spark.read.format("delta").load(path).count() == 4


def test_schema_check_names_a_lost_column_and_carries_added_ones(spark, tmp_path):
    lake = str(tmp_path / "lake")
    path = tables.table_path(lake, "gold/things")
    tables.ensure_table(spark, path, spark.createDataFrame([], SCHEMA).schema)
    assert tables.check_schema(spark, lake, "gold/things") == []
    spark.sql(f"ALTER TABLE delta.`{path}` ADD COLUMNS (note string)")
    assert tables.check_schema(spark, lake, "gold/things") == ["note"]
    # a user replaces the table without column n: the next write would fail late, so the check fails first
    spark.createDataFrame([("a", "x")], "doc_id string, note string").write.format("delta").mode("overwrite") \
        .option("overwriteSchema", "true").save(path)
    with pytest.raises(tables.SchemaDrift, match=r"gold/things has no column 'n'"):
        tables.check_schema(spark, lake, "gold/things")
