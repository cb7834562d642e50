"""The catalog is the one place for signals and rules: what silver computes, what gold reads and what the tables
say about their columns all agree with it."""

from __future__ import annotations

from etl import catalog, tables
from etl.silver import toxicity
from etl.silver.quality import quality_signals
from etl.silver.signals import signal_schema


def test_every_rule_reads_a_declared_signal_in_a_known_family():
    declared = {s.name for s in catalog.SIGNALS + catalog.DERIVED_SIGNALS}
    for rule in catalog.RULES:
        assert rule.signal in declared, rule.key
        assert rule.family in catalog.FAMILY_ORDER, rule.key
        assert rule.description, rule.key
    assert set(catalog.FAMILY_DESCRIPTIONS) == set(catalog.FAMILY_ORDER)
    assert len(catalog.RULES_BY_KEY) == len(catalog.RULES)  # keys are unique


def test_catalog_matches_what_silver_computes():
    assert set(quality_signals("Some words. More words here.")) == set(catalog.QUALITY_SIGNAL_TYPES)
    assert [s.name for s in catalog.TOXICITY_SIGNALS] == list(toxicity.OUTPUT_COLUMNS)
    for s in catalog.TOXICITY_SIGNALS:
        expected = "string" if s.name in toxicity.STRING_COLUMNS else "double" if s.name in toxicity.FLOAT_COLUMNS \
            else "int"
        assert s.type == expected, s.name
    assert catalog.TOXICITY_TIERS == (toxicity.TIER_NONE, toxicity.TIER_MILD, toxicity.TIER_TOXIC)
    assert [f.name for f in signal_schema()] == [s.name for s in catalog.DOCUMENT_COLUMNS
                                                 + catalog.BUILTIN_SCORER_SIGNALS]


def test_signals_have_unique_names_and_descriptions():
    names = [s.name for s in catalog.SIGNALS]
    assert len(names) == len(set(names))
    assert all(s.description for s in catalog.SIGNALS)


def test_tables_carry_catalog_comments(spark, tmp_path):
    path = f"{tmp_path}/lake/{tables.SILVER_DOCUMENTS}"
    schema = spark.createDataFrame([], "doc_id string, gopher_n_words int, user_column string").schema
    tables.ensure_table(spark, path, schema)
    stored = spark.read.format("delta").load(path).schema
    assert stored["gopher_n_words"].metadata["comment"] == catalog.SIGNALS_BY_NAME["gopher_n_words"].description
    assert "comment" not in stored["user_column"].metadata  # not the catalog's: left alone
    detail = spark.sql(f"DESCRIBE DETAIL delta.`{path}`").first()
    assert detail.description == tables.TABLE_COMMENTS[tables.SILVER_DOCUMENTS]
