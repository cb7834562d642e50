"""The stages end to end: run_bronze / run_silver / run_gold, and `refresh` = all three for whatever is new.

Every stage is incremental and idempotent, so a scheduled refresh processes only new inputs exactly once, a refresh
with nothing new changes nothing, and a killed refresh completes on the next run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from etl import metastore, tables
from etl.bronze.ingest import IngestSummary, new_run_id, run_ingest
from etl.config import PipelineConfig
from etl.gold.dedup import STAGE_EXACT, STAGE_NEAR
from etl.gold.build import STAGE_FILTER, GoldSummary, run_gold
from etl.table_specs import (BRONZE_DOCUMENTS, BRONZE_QUARANTINE, DATA_TABLES, GOLD_DOCUMENTS, GOLD_DUPLICATES,
                             GOLD_REJECTIONS, RUNS, SILVER_DOCUMENTS)
from etl.heartbeat import Heartbeat
from etl.runs import StageRun, record_run
from etl.silver.build import SilverSummary, run_silver

@dataclass
class RefreshSummary:
    run_id: str
    bronze: IngestSummary
    silver: SilverSummary
    gold: GoldSummary
    funnel: dict
    versions: dict

    def lines(self) -> list[str]:
        return [*self.bronze.lines(), *self.silver.lines(), *self.gold.lines(), *funnel_lines(self.funnel),
                "table versions: " + ", ".join(f"{k}@{v}" for k, v in self.versions.items())]


def table_versions(spark: SparkSession, lake: str) -> dict[str, int | None]:
    return {name: tables.version(spark, lake, name) for name in DATA_TABLES}


def lake_funnel(spark: SparkSession, lake: str) -> dict:
    """Lake-wide counts from the tables themselves (the same whether built in one run or many)."""
    def count(name, cond=None):
        if not tables.exists(spark, lake, name):
            return 0
        df = tables.read(spark, lake, name)
        return df.where(cond).count() if cond is not None else df.count()

    funnel = {
        "bronze_documents": count(BRONZE_DOCUMENTS),
        "quarantined": count(BRONZE_QUARANTINE),
        "silver_documents": count(SILVER_DOCUMENTS),
        "dropped_by_family": {},
        "exact_duplicates": count(GOLD_DUPLICATES, F.col("stage") == STAGE_EXACT),
        "near_duplicates": count(GOLD_DUPLICATES, F.col("stage") == STAGE_NEAR),
        "kept": count(GOLD_DOCUMENTS),
    }
    funnel["records_in"] = funnel["bronze_documents"] + funnel["quarantined"]
    if tables.exists(spark, lake, GOLD_REJECTIONS):
        rows = (tables.read(spark, lake, GOLD_REJECTIONS).where(F.col("stage") == STAGE_FILTER)
                .groupBy("family").count().collect())
        funnel["dropped_by_family"] = {r.family: r["count"] for r in sorted(rows, key=lambda r: -r["count"])}
    return funnel


def funnel_lines(f: dict) -> list[str]:
    lines = ["funnel (this refresh)" if "lake_rows" in f else "funnel (whole lake)",
             f"  records in             {f['records_in']:>10,}",
             f"  quarantined            {f['quarantined']:>10,}",
             f"  bronze documents       {f['bronze_documents']:>10,}"]
    for fam, n in f["dropped_by_family"].items():
        lines.append(f"  dropped: {fam:<14}{n:>10,}")
    lines += [f"  exact duplicates       {f['exact_duplicates']:>10,}",
              f"  near duplicates        {f['near_duplicates']:>10,}",
              f"  kept                   {f['kept']:>10,}"]
    for name, n in f.get("lake_rows", {}).items():
        lines.append(f"  lake: {name:<16}{n:>10,}")
    return lines


def run_funnel(spark: SparkSession, lake: str, bronze: IngestSummary, silver: SilverSummary,
               gold: GoldSummary) -> dict:
    """This refresh's funnel (same keys as `lake_funnel`) from the stages' own counts, plus lake-wide row counts
    that Delta answers from its log; nothing is scanned (the whole-lake funnel is in the run report)."""
    def rows(name: str) -> int:
        return tables.read(spark, lake, name).count() if tables.exists(spark, lake, name) else 0

    return {
        "records_in": bronze.documents_loaded + bronze.quarantined,
        "quarantined": bronze.quarantined,
        "bronze_documents": bronze.documents_loaded,
        "silver_documents": silver.documents_in,
        "dropped_by_family": dict(sorted(gold.by_family().items(), key=lambda kv: -kv[1])),
        "exact_duplicates": gold.exact_duplicates,
        "near_duplicates": gold.near_duplicates,
        "kept": gold.kept_added - gold.kept_removed,
        "lake_rows": {name: rows(name) for name in (BRONZE_DOCUMENTS, SILVER_DOCUMENTS, GOLD_DOCUMENTS)},
    }


def check_lake_schemas(spark: SparkSession, lake: str, progress: Callable[[str], None] = print) -> None:
    """Before a refresh's first write: every table still has the pipeline's columns (SchemaDrift names the table and
    column otherwise); columns users added are kept and get nulls in new rows."""
    for name in DATA_TABLES:
        extra = tables.check_schema(spark, lake, name)
        if extra:
            progress(f"{name}: keeping column(s) added by hand: {', '.join(extra)} (null in new rows)")


def refresh(spark: SparkSession, cfg: PipelineConfig, inputs: list[str],
            progress: Callable[[str], None] = print, run_id: str | None = None) -> RefreshSummary:
    """Ingest new inputs, score new bronze rows, decide and dedup new silver rows against history."""
    run_id = run_id or new_run_id()
    with Heartbeat(progress, spark) as beat:  # a line at least every HEARTBEAT_SECONDS, however long a stage takes
        check_lake_schemas(spark, cfg.lake, beat)
        t0 = time.perf_counter()
        bronze = run_ingest(spark, cfg, inputs, beat, run_id=run_id)
        t1 = time.perf_counter()
        silver = run_silver(spark, cfg, run_id, beat)
        t2 = time.perf_counter()
        gold = run_gold(spark, cfg, run_id, beat)
        t3 = time.perf_counter()
        funnel = run_funnel(spark, cfg.lake, bronze, silver, gold)
        record_run(spark, cfg.lake, run_id, [
            StageRun("bronze", bronze.documents_loaded + bronze.quarantined, bronze.documents_loaded, t1 - t0),
            StageRun("silver", silver.documents_in, silver.documents_in, t2 - t1),
            StageRun("gold", gold.documents_in, gold.kept_added, t3 - t2),
        ], beat)
        if cfg.schema:
            names = metastore.register_tables(spark, cfg.lake, (*DATA_TABLES, RUNS), cfg.schema, cfg.catalog)
            beat(f"catalog: {len(names)} tables registered in {'.'.join(filter(None, (cfg.catalog, cfg.schema)))}")
    return RefreshSummary(run_id, bronze, silver, gold, funnel, table_versions(spark, cfg.lake))
