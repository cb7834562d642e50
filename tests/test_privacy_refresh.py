"""The refresh of data/sample (the session's sample lake, tests/conftest.py), which holds the planted file (9 generated
pages with planted personal data and GSM8K copies, truth alongside) among real pages: silver counts what was planted,
gold's text is redacted, the GSM8K pages are dropped as decontamination:gsm8k, and a benchmark added later removes the
pages already in gold (the one-off re-check; that one builds its own lakes of the planted file and is marked slow)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from etl import tables
from etl.catalog import PII_COUNT_COLUMNS
from etl.config import load_config
from etl.table_specs import GOLD_CONTAMINATION, GOLD_DOCUMENTS, GOLD_REJECTIONS, SILVER_DOCUMENTS
from etl.pipeline import refresh
from etl.report.figures import EXAMPLE_URLS, privacy_stats
from etl.report.privacy import decontamination_rows, pii_rows
from etl.silver.pii import EMAIL_PLACEHOLDER, IPV4_PLACEHOLDER

ROOT = Path(__file__).resolve().parents[1]
PLANTED = ROOT / "data" / "sample" / "GENERATED-pii-and-contamination.warc.wet.gz"
TRUTH = json.loads((ROOT / "data" / "planted" / "GENERATED-pii-and-contamination-truth.json").read_text("utf-8"))
CONTAMINATED = sorted(url for url, t in TRUTH.items() if t["benchmark"])
# The classifier is another test's subject; these pages are about personal data and benchmarks.
BASE = {"spark.shuffle_partitions": 2, "silver.toxicity_model_path": ""}


def quiet(_msg):
    pass


def cfg_for(lake: str, **overrides):
    return load_config(overrides={"lake": lake, **BASE, **overrides})


def gold_texts(spark, lake: str) -> dict[str, str]:
    return {r.url: r.text for r in tables.read(spark, lake, GOLD_DOCUMENTS).select("url", "text").collect()}


def reasons(spark, lake: str) -> dict[str, str]:
    rej = tables.read(spark, lake, GOLD_REJECTIONS).join(
        tables.read(spark, lake, SILVER_DOCUMENTS).select("doc_id", "url"), "doc_id")
    return {r.url: r.reason for r in rej.select("url", "reason").collect()}


def test_refresh_counts_redacts_and_decontaminates(spark, sample_lake):
    """On the session's refresh of the whole sample (tests/conftest.py), which holds the planted file among real
    pages with the default config: the planted pages keep their truth there, and no other page adds to the lists."""
    lake = sample_lake.lake

    silver = {r.url: r for r in tables.read(spark, lake, SILVER_DOCUMENTS).collect()}
    for url, truth in TRUTH.items():
        counts = {kind: silver[url][column] for kind, column in PII_COUNT_COLUMNS.items()}
        assert counts == {kind: len(truth["pii"].get(kind, [])) for kind in PII_COUNT_COLUMNS}, url
        assert silver[url]["pii_total"] == sum(counts.values())

    gold = gold_texts(spark, lake)
    assert sorted(set(TRUTH) - set(gold)) == CONTAMINATED  # every other page passes the quality rules
    for url in set(gold) & set(TRUTH):  # the planted pages; the sample's real pages have no truth file
        for values in TRUTH[url]["pii"].values():
            assert not [v for v in values if v in gold[url]], url
        assert all(v in gold[url] for v in TRUTH[url]["not_pii"]), url  # look-alikes are left as written
        if not TRUTH[url]["pii"]:
            assert gold[url] == silver[url]["text"]  # untouched
    garden = next(u for u in gold if "garden" in u)
    assert gold[garden].count(EMAIL_PLACEHOLDER) == 2
    assert IPV4_PLACEHOLDER in gold[next(u for u in gold if "helpdesk" in u)]

    assert {url: reasons(spark, lake)[url] for url in CONTAMINATED} == dict.fromkeys(CONTAMINATED,
                                                                                      "decontamination:gsm8k")
    listed = tables.read(spark, lake, GOLD_CONTAMINATION).collect()
    assert sorted((r.url, r.benchmark, r.action) for r in listed) == [(u, "gsm8k", "dropped") for u in CONTAMINATED]
    assert all(r.shared_ngrams >= 1 for r in listed)

    stats = privacy_stats(spark, sample_lake.cfg)  # what the report and the dataset card show
    planted = {kind: sorted(u for u, t in TRUTH.items() if t["pii"].get(kind)) for kind in PII_COUNT_COLUMNS}
    # The sample's real pages kept in gold with personal data count too (silver's counts, checked above against the
    # planted truth); the examples are the first EXAMPLE_URLS by URL.
    real = {kind: sorted(u for u in gold if u not in TRUTH and silver[u][column] > 0)
            for kind, column in PII_COUNT_COLUMNS.items()}
    expected = {kind: sorted(urls + real[kind]) for kind, urls in planted.items()}
    assert pii_rows(stats) == [[kind, len(urls), ", ".join(urls[:EXAMPLE_URLS])] for kind, urls in expected.items()]
    assert decontamination_rows(stats) == [["gsm8k", "dropped", 3, ", ".join(CONTAMINATED)]]


@pytest.mark.slow
def test_a_benchmark_added_later_rechecks_gold_once_and_flag_mode_keeps(spark, tmp_path):
    lake = str(tmp_path / "lake")
    refresh(spark, cfg_for(lake, **{"gold.decontamination.bundled": ["humaneval"]}), [str(PLANTED)], progress=quiet)
    assert set(CONTAMINATED) <= set(gold_texts(spark, lake))  # HumanEval is not quoted anywhere

    refresh(spark, cfg_for(lake), [str(PLANTED)], progress=quiet)  # gsm8k added: nothing new to ingest
    assert not set(CONTAMINATED) & set(gold_texts(spark, lake))
    assert {url: reasons(spark, lake)[url] for url in CONTAMINATED} == dict.fromkeys(CONTAMINATED,
                                                                                      "decontamination:gsm8k")
    registry = tables.read(spark, lake, "gold/benchmarks").where(F.col("benchmark") == "gsm8k").collect()
    assert [r.rechecked for r in registry] == [True]
    before = tables.version(spark, lake, GOLD_DOCUMENTS)
    refresh(spark, cfg_for(lake), [str(PLANTED)], progress=quiet)  # once: nothing more to re-check
    assert tables.version(spark, lake, GOLD_DOCUMENTS) == before

    flagged = str(tmp_path / "flagged")
    refresh(spark, cfg_for(flagged, **{"gold.decontamination.action": "flag"}), [str(PLANTED)], progress=quiet)
    assert set(CONTAMINATED) <= set(gold_texts(spark, flagged))
    rows = tables.read(spark, flagged, GOLD_CONTAMINATION).collect()
    assert sorted((r.url, r.action) for r in rows) == [(u, "flagged") for u in CONTAMINATED]
