"""The quality classifier: trained on reference text (real Clough-Stevenson answers and Wikipedia originals) against
real crawl records, it separates held-out texts of the two, and silver applies it as the quality_model_score
scorer, which gold drops on only when gold.min_quality_score is set."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from etl.cli.train_quality import train_quality_main
from etl.config import load_config
from etl.gold.decisions import active_rules, decide
from etl.bronze.ingest import run_ingest
from etl.silver.build import build_silver_frame, run_silver
from etl.models.quality_training import METADATA_FILE, crawl_sample, read_reference

BRONZE_DDL = ("doc_id string, url string, url_host string, crawl_id string, warc_date timestamp, "
              "cc_languages array<string>, content_length bigint, text string")
# Real crawl records from the bundled sample (data/sample, next to tests/data in the checkout).
CRAWL_FILES = ("CC-MAIN-2016-50-truncated-download.wet.gz", "CC-MAIN-2021-39-oscar63.warc.wet.gz")


@pytest.fixture(scope="module")
def crawl_lake(spark, data_dir, tmp_path_factory) -> str:
    """Bronze and silver of two real sample files: what the job samples its crawl documents from."""
    lake = str(tmp_path_factory.mktemp("quality_lake") / "lake")
    sample = data_dir.parent.parent / "data" / "sample"
    cfg = load_config(overrides={"lake": lake})
    run_ingest(spark, cfg, [str(sample / name) for name in CRAWL_FILES], progress=lambda _: None)
    run_silver(spark, cfg, "quality-test", progress=lambda _: None)
    return lake


@pytest.fixture(scope="module")
def trained(spark, data_dir, crawl_lake, tmp_path_factory) -> tuple[dict, str]:
    """The model as users make it: jobs/train_quality.py on the reference texts and the lake (its metadata, path)."""
    path = str(tmp_path_factory.mktemp("quality") / "model")
    texts = str(data_dir / "clough_stevenson" / "texts")
    assert train_quality_main(["--reference", texts, "--lake", crawl_lake, "--model-out", path]) == 0
    return json.loads((Path(path) / METADATA_FILE).read_text(encoding="utf-8")), path


def test_the_crawl_sample_is_every_long_real_record(spark, crawl_lake):
    crawl = crawl_sample(spark, crawl_lake, 1000)
    assert len(crawl) >= 70  # the two files' records with 200+ characters (two of them share a text)
    assert list(crawl) == list(crawl_sample(spark, crawl_lake, 1000))  # seeded: the same sample every run


def test_reference_is_read_and_short_texts_left_out(data_dir):
    reference = read_reference([str(data_dir / "clough_stevenson" / "texts")])
    assert 80 <= len(reference) <= 100 and (reference.str.len() >= 200).all()


def test_held_out_reference_scores_above_held_out_crawl(trained):
    metadata, _ = trained
    assert metadata["rows"]["reference"] >= 80 and metadata["rows"]["crawl"] >= 70
    assert metadata["rows"]["validation"] >= 20
    assert metadata["validation"]["auc"] >= 0.9, metadata["validation"]


def test_silver_scores_and_gold_drops_only_with_a_threshold(spark, trained, data_dir):
    _, path = trained
    now = datetime(2024, 1, 1, tzinfo=timezone.utc)
    essay = (data_dir / "clough_stevenson" / "texts" / "g0pA_taska.txt").read_text(encoding="utf-8")
    menu = "Home | About | Contact\nLogin\nCart (0)\nBuy now! Free shipping on orders over $50\n" * 4
    bronze = spark.createDataFrame([(k, f"https://x.example/{k}", "x.example", "CC-TEST", now, ["eng"], len(t), t)
                                    for k, t in (("essay", essay), ("menu", menu))], BRONZE_DDL)
    cfg = load_config(overrides={"silver": {"quality_model_path": path}})
    silver = build_silver_frame(spark, bronze, cfg, "run-1").cache()
    scores = {r.doc_id: r.quality_model_score for r in silver.collect()}
    assert 0 <= scores["menu"] < scores["essay"] <= 1
    assert "quality_model:low_score" in [r.key for r in active_rules(cfg.gold, [])]
    only_quality = {"families": ["quality_model"]}
    kept = decide(silver, load_config(overrides={"gold": only_quality}).gold, [])
    assert kept.where("drop_reason is not null").count() == 0  # no threshold: the score is stored, nothing drops
    cut = (scores["menu"] + scores["essay"]) / 2
    strict = load_config(overrides={"gold": {**only_quality, "min_quality_score": cut}}).gold
    reasons = {r.doc_id: r.drop_reason for r in decide(silver, strict, []).collect()}
    assert reasons == {"essay": None, "menu": "quality_model:low_score"}


def test_the_job_refuses_a_lake_without_silver(data_dir, tmp_path, capsys):
    texts = str(data_dir / "clough_stevenson" / "texts")
    out = str(tmp_path / "model")
    assert train_quality_main(["--reference", texts, "--lake", str(tmp_path / "empty"), "--model-out", out]) == 2
    assert "run a refresh first" in capsys.readouterr().err
