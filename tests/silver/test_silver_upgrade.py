"""A lake written before a silver signal existed keeps working: the next silver step adds the column."""

from __future__ import annotations

from pathlib import Path

from etl import tables
from etl.bronze.ingest import run_ingest
from etl.config import load_config
from etl.silver.build import build_silver_frame, run_silver
from etl.table_specs import BRONZE_DOCUMENTS, SILVER_DOCUMENTS

ROOT = Path(__file__).resolve().parents[2]
ONE_RECORD = ROOT / "data" / "sample" / "CC-MAIN-2024-22-whirlwind.warc.wet.gz"
ADDED_SIGNAL = "obscenity_word_ratio"  # added in session 5; older silver tables lack it


def quiet(_line: str) -> None:
    pass


def test_silver_appends_to_a_table_written_before_a_signal_existed(spark, tmp_path):
    cfg = load_config(overrides={"lake": str(tmp_path / "lake")})
    run_ingest(spark, cfg, [str(ONE_RECORD)], quiet)
    bronze = tables.read(spark, cfg.lake, BRONZE_DOCUMENTS)
    older = build_silver_frame(spark, bronze, cfg, "older-version").drop(ADDED_SIGNAL)
    path = tables.ensure(spark, cfg.lake, SILVER_DOCUMENTS, older.schema)
    tables.append(spark, path, older)

    run_silver(spark, cfg, "this-version", quiet)
    silver = tables.read(spark, cfg.lake, SILVER_DOCUMENTS)
    assert ADDED_SIGNAL in silver.columns
    by_run = {r.silver_run_id: r[ADDED_SIGNAL] for r in silver.select("silver_run_id", ADDED_SIGNAL).collect()}
    assert by_run["older-version"] is None and "this-version" in by_run
