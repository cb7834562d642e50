"""The catalog is the one place for signals and rules: what silver computes, what gold reads and what the tables
say about their columns all agree with it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from etl import catalog, table_specs, tables
from etl.silver import toxicity
from etl.silver.quality import quality_signals
from etl.silver.signals import signal_schema
from etl.table_specs import SILVER_DOCUMENTS


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
    assert (toxicity.TIER_NONE, toxicity.TIER_MILD, toxicity.TIER_TOXIC) == catalog.TOXICITY_TIERS
    assert [f.name for f in signal_schema()] == [s.name for s in catalog.DOCUMENT_COLUMNS
                                                 + catalog.BUILTIN_SCORER_SIGNALS]


def test_signals_have_unique_names_and_descriptions():
    names = [s.name for s in catalog.SIGNALS]
    assert len(names) == len(set(names))
    assert all(s.description for s in catalog.SIGNALS)


def test_tables_carry_catalog_comments(spark, tmp_path):
    lake = f"{tmp_path}/lake"
    schema = spark.createDataFrame([], "doc_id string, crawl_id string, language string, warc_date timestamp, url_host string, gopher_n_words int, "
                                 "user_column string").schema
    path = tables.ensure(spark, lake, SILVER_DOCUMENTS, schema)
    stored = spark.read.format("delta").load(path).schema
    comment = stored["gopher_n_words"].metadata["comment"]
    # the signal's description, then the rules that read it, from the same rows gold decides with
    assert comment == catalog.column_comment("gopher_n_words")
    assert comment.startswith(catalog.SIGNALS_BY_NAME["gopher_n_words"].description)
    assert "gopher_quality:short_doc < 50" in comment
    assert "comment" not in stored["user_column"].metadata  # not the catalog's: left alone
    detail = spark.sql(f"DESCRIBE DETAIL delta.`{path}`").first()
    assert detail.description == table_specs.spec(SILVER_DOCUMENTS).comment


def test_rule_rows_name_known_config_and_sourced_fineweb2_values():
    """Every row's config key and enabling condition is a real config value; FineWeb2 values have a source."""
    from dataclasses import fields

    from etl.config import PII_MODES, GoldConfig

    gold = {f.name for f in fields(GoldConfig)}
    for rule in catalog.RULES:
        for key in filter(None, (rule.config_key, rule.enabled_by and rule.enabled_by[0])):
            section, name = key.split(".", 1)
            assert key == "silver.languages" or (section == "gold" and name in gold), rule.key
        assert set(rule.fineweb2) <= set(catalog.FINEWEB2_SOURCES), rule.key
    assert {r.enabled_by[1] for r in catalog.RULES if r.enabled_by and r.enabled_by[0] == "gold.pii"} <= set(PII_MODES)
    tiers = {r.enabled_by[1] for r in catalog.RULES if r.enabled_by and r.enabled_by[0] == "gold.toxicity_drop_tiers"}
    assert tiers == set(catalog.TOXICITY_TIERS[1:])
    assert catalog.family_order()[:-1] == tuple(dict.fromkeys(r.family for r in catalog.RULES))


# --- one definition per fact: the literal is written in one module of etl/ only ------------------------------

ETL = Path(catalog.__file__).resolve().parent
ONE_DEFINITION = {
    "the any-language key": (r'^\s*\w+\s*(:\s*\w+)?\s*=\s*"\*"', "catalog.py"),
    "the no-space languages": (r'"zh",\s*"ja",\s*"th"', "catalog.py"),
    "the top n-gram sizes": (r"\(2, 3, 4\)", "catalog.py"),
    "the duplicated n-gram sizes": (r"5, 6, 7, 8, 9, 10|range\(5, 11\)", "catalog.py"),
    "the toxicity dimensions": (r'"race_origin",\s*"gender_sex"', "catalog.py"),
    "the toxicity tiers": (r'"none"[^\n]*"mild"[^\n]*"toxic"', "catalog.py"),
    "the rule operators": (r"operator\.(lt|le|gt|ge)\b|\"<\":\s*lambda", "catalog.py"),
    "the HTTP retry defaults": (r"(max_retries|backoff_base_s|backoff_max_s|timeout_s)\s*:\s*\w+\s*=\s*[0-9]",
                                "io/sources.py"),
    "the snippet length": (r"snippet\w*\s*(:\s*\w+)?\s*=\s*[0-9]|substring\(\"text\", 1, [0-9]", "io/warc.py"),
}


@pytest.mark.parametrize("fact", sorted(ONE_DEFINITION))
def test_a_fact_is_written_in_one_module(fact):
    pattern, home = ONE_DEFINITION[fact]
    regex = re.compile(pattern, re.IGNORECASE | re.MULTILINE)
    found = sorted(str(p.relative_to(ETL)) for p in ETL.rglob("*.py") if regex.search(p.read_text(encoding="utf-8")))
    assert found == [home], fact


def test_gold_names_no_family_and_no_rule():
    """Gold decides from the rows alone: decisions.py spells no rule and lists no family's rules, so a family added
    as rows is applied (tests/gold/test_decisions.py shows one)."""
    source = (ETL / "gold" / "decisions.py").read_text(encoding="utf-8")
    assert not [r.key for r in catalog.RULES if f'"{r.key}"' in source or f'"{r.family}", "' in source]
    assert "_RULES" not in source and 'family == "' not in source
