"""Every number the report shows, collected from the lake's Delta tables with Spark.

All heavy work stays in Spark (counts, and histograms as bucket + groupBy); only those aggregates reach the driver,
so a report costs the same few jobs on a sample and on a full crawl. Missing or empty tables give zeros, not errors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from etl import tables
from etl.catalog import PII_COUNT_COLUMNS, PII_KINDS, SUBSETS
from etl.config import PII_OFF, PipelineConfig
from etl.gold.build import GOLD_DOCUMENT_COLUMNS
from etl.table_specs import (BRONZE_QUARANTINE, GOLD_CONTAMINATION, GOLD_DOCUMENTS, GOLD_DUPLICATES, GOLD_REJECTIONS,
                             RUNS, SILVER_DOCUMENTS)
from etl.export.counts import text_counts
from etl.gold.lsh import bands_rows
from etl.pipeline import RefreshSummary, lake_funnel, table_versions
from etl.report.rules import rule_table, signal_thresholds
from etl.models.toxicity_training import model_facts

UNKNOWN_LANGUAGE = "unknown"
EXAMPLE_URLS = 3  # example pages listed per PII kind and per benchmark (the first by URL)
SUBSET_EXAMPLES = 3  # example URLs shown per subset: the first by doc_id, so the same lake gives the same ones
RECENT_RUNS = 60  # refreshes shown in the run history: about two months of nightly runs
STAGE_ORDER = ("bronze", "silver", "gold")  # the order etl.pipeline.refresh runs them; any other stage follows by name


@dataclass(frozen=True)
class Histogram:
    """One silver signal bucketed into `bins` equal-width buckets over [lo, hi] (in log10 space when `log`).

    Fixed edges mean one Spark pass for every signal at once; values outside [lo, hi] land in the end buckets.
    """

    column: str
    lo: float
    hi: float
    bins: int
    log: bool = False

    def edges(self) -> list[float]:
        lo, hi = (math.log10(self.lo), math.log10(self.hi)) if self.log else (self.lo, self.hi)
        step = (hi - lo) / self.bins
        return [10 ** (lo + i * step) if self.log else lo + i * step for i in range(self.bins + 1)]


SIGNAL_HISTOGRAMS = (
    Histogram("gopher_n_words", 1, 1e6, 30, log=True),
    Histogram("gopher_alpha_word_frac", 0.0, 1.0, 25),
    Histogram("gopher_rep_dup_line_frac", 0.0, 1.0, 25),
    Histogram("fineweb_line_punct_frac", 0.0, 1.0, 25),
    Histogram("fineweb_short_line_frac", 0.0, 1.0, 25),
    Histogram("c4_n_sentences", 1, 1e4, 24, log=True),
    Histogram("language_score", 0.0, 1.0, 25),
)


def read_table(spark: SparkSession, lake: str, name: str) -> DataFrame | None:
    """The table, or None when it does not exist yet."""
    return tables.read(spark, lake, name) if tables.exists(spark, lake, name) else None


def _counts(df: DataFrame | None, column: str, null_label: str | None = None) -> dict[str, int]:
    """{value: rows} of one column, largest first (an aggregate: one row per distinct value)."""
    if df is None:
        return {}
    rows = df.groupBy(column).count().collect()
    out = {(r[column] if r[column] is not None else null_label): int(r["count"]) for r in rows}
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], str(kv[0]))))


def _bucket(spec: Histogram) -> Column:
    x = F.col(spec.column).cast("double")
    missing = x.isNull() | F.isnan(x)
    lo, hi = spec.lo, spec.hi
    if spec.log:
        # Values below lo (e.g. 0 words) are clamped into the first bucket instead of becoming -inf.
        x, lo, hi = F.log10(F.greatest(x, F.lit(float(spec.lo)))), math.log10(lo), math.log10(hi)
    idx = F.floor((x - F.lit(lo)) / F.lit((hi - lo) / spec.bins))
    return F.when(missing, F.lit(None)).otherwise(F.least(F.greatest(idx, F.lit(0)), F.lit(spec.bins - 1))).cast("int")


def signal_histograms(spark: SparkSession, cfg: PipelineConfig, language: str | None = None,
                      specs: tuple[Histogram, ...] = SIGNAL_HISTOGRAMS) -> dict[str, dict]:
    """Histograms of silver signals (optionally one language) with the thresholds that drop on them."""
    silver = read_table(spark, cfg.lake, SILVER_DOCUMENTS)
    counts: dict[tuple[str, int | None], int] = {}
    if silver is not None:
        if language is not None:
            silver = silver.where(F.col("language") == F.lit(language))
        cells = F.array(*[F.struct(F.lit(s.column).alias("signal"), _bucket(s).alias("bucket")) for s in specs])
        rows = silver.select(F.explode(cells).alias("h")).groupBy("h.signal", "h.bucket").count().collect()
        counts = {(r.signal, r.bucket): int(r["count"]) for r in rows}
    thresholds = signal_thresholds(cfg, language)
    out = {}
    for s in specs:
        buckets = [counts.get((s.column, i), 0) for i in range(s.bins)]
        nulls = counts.get((s.column, None), 0)
        out[s.column] = {"log": s.log, "edges": s.edges(), "counts": buckets, "nulls": nulls,
                         "total": sum(buckets) + nulls, "thresholds": thresholds.get(s.column, [])}
    return out


def dedup_parameters(cfg: PipelineConfig) -> dict:
    d = cfg.gold.dedup
    bands, rows = bands_rows(d)
    return {"near_enabled": d.enabled, "exact_enabled": d.exact, "num_perm": d.num_perm, "seed": d.seed,
            "ngram": d.ngram, "kind": d.kind, "mode": d.mode, "threshold": d.threshold, "bands": bands, "rows": rows,
            "verify_threshold": d.verify_threshold, "verify_method": d.verify_method,
            "survivor_order": list(d.survivor_order)}


def _rule_drops(spark: SparkSession, lake: str) -> list[dict]:
    rej = read_table(spark, lake, GOLD_REJECTIONS)
    if rej is None:
        return []
    rows = rej.groupBy("stage", "reason").count().collect()
    return sorted(({"stage": r.stage, "reason": r.reason, "count": int(r["count"])} for r in rows),
                  key=lambda d: (-d["count"], d["reason"]))


def counts_with_examples(df: DataFrame, key: str, examples: int = EXAMPLE_URLS) -> dict[str, dict]:
    """{key value: {"documents": distinct doc_ids, "examples": first URLs}} of a (key, doc_id, url) frame: one
    aggregate and one per-key top-N."""
    counts = {r[key]: int(r["n"]) for r in df.groupBy(key).agg(F.countDistinct("doc_id").alias("n")).collect()}
    ranked = df.select(key, "url").distinct().withColumn(
        "_n", F.row_number().over(Window.partitionBy(key).orderBy("url")))
    urls: dict[str, list[str]] = {}
    for r in ranked.where(F.col("_n") <= examples).orderBy(key, "_n").collect():
        urls.setdefault(r[key], []).append(r.url)
    return {k: {"documents": n, "examples": urls.get(k, [])} for k, n in sorted(counts.items())}


def privacy_stats(spark: SparkSession, cfg: PipelineConfig) -> dict:
    """Gold documents whose text was redacted, per kind of personal data (silver's counts of the kept documents),
    and documents dropped or flagged per benchmark (gold/contamination), with example URLs."""
    lake, dc = cfg.lake, cfg.gold.decontamination
    out = {"pii_mode": cfg.gold.pii, "max_pii_count": cfg.gold.max_pii_count,
           "redacted": {kind: {"documents": 0, "examples": []} for kind in PII_KINDS},
           "decontamination": {"action": dc.action, "ngram": dc.ngram, "min_words": dc.min_words,
                               "benchmarks": {}}}
    silver, gold = read_table(spark, lake, SILVER_DOCUMENTS), read_table(spark, lake, GOLD_DOCUMENTS)
    if cfg.gold.pii != PII_OFF and silver is not None and gold is not None and "pii_total" in silver.columns:
        kept = silver.join(gold.select("doc_id"), "doc_id", "left_semi").where(F.col("pii_total") > 0)
        kinds = F.explode(F.array(*[F.when(F.col(c) > 0, F.lit(k)) for k, c in PII_COUNT_COLUMNS.items()]))
        hits = kept.select("doc_id", "url", kinds.alias("kind")).where(F.col("kind").isNotNull())
        out["redacted"].update(counts_with_examples(hits, "kind"))
    contamination = read_table(spark, lake, GOLD_CONTAMINATION)
    if contamination is not None:
        for action in sorted(r.action for r in contamination.select("action").distinct().collect()):
            mine = contamination.where(F.col("action") == action).select("benchmark", "doc_id", "url")
            for name, v in counts_with_examples(mine, "benchmark").items():
                out["decontamination"]["benchmarks"].setdefault(name, {})[action] = v
    return out


def cluster_stats(spark: SparkSession, lake: str) -> dict:
    """Duplicate clusters by size (survivor included), and removed duplicates by stage."""
    dups = read_table(spark, lake, GOLD_DUPLICATES)
    if dups is None:
        return {"sizes": {}, "clusters": 0, "duplicates": 0, "by_stage": {}}
    sizes = _counts(dups.select("cluster_id", "cluster_size").distinct(), "cluster_size")
    sizes = {str(k): v for k, v in sorted(sizes.items(), key=lambda kv: int(kv[0]))}
    by_stage = _counts(dups, "stage")
    return {"sizes": sizes, "clusters": sum(sizes.values()), "duplicates": sum(by_stage.values()), "by_stage": by_stage}


def run_history(spark: SparkSession, lake: str, recent: int = RECENT_RUNS) -> list[dict]:
    """The last `recent` refreshes from the _runs table, oldest first: {run_id, finished_at, stages: {stage: {...}}}.

    One row per stage and run, so this is small however large the lake; stages are in pipeline order.
    """
    runs = read_table(spark, lake, RUNS)
    if runs is None:
        return []
    rows = (runs.groupBy("run_id").agg(F.max("finished_at").alias("finished_at"),
                                       F.collect_list(F.struct("stage", "rows_in", "rows_out", "seconds")).alias("s"))
            .orderBy(F.col("finished_at").desc(), F.col("run_id").desc()).limit(recent).collect())
    history = [{"run_id": r.run_id,
                "finished_at": r.finished_at.isoformat(timespec="seconds") if r.finished_at else None,
                "stages": {s.stage: {"rows_in": s.rows_in, "rows_out": s.rows_out, "seconds": s.seconds}
                           for s in sorted(r.s, key=_stage_key)}}
               for r in rows]
    return history[::-1]


def subset_stats(gold: DataFrame | None, cfg: PipelineConfig, examples: int = SUBSET_EXAMPLES) -> list[dict]:
    """Per subset (etl.catalog.SUBSETS): its flag condition, gold documents in it and a few example URLs.

    One aggregate for the counts, then one top-k per subset; a gold table without a flag column counts zero."""
    present = [s for s in SUBSETS if gold is not None and s.column in gold.columns]
    counts = {}
    if present:
        row = gold.agg(*[F.sum(F.col(s.column).cast("int")).alias(s.column) for s in present]).first()
        counts = {s.column: int(row[s.column] or 0) for s in present}
    out = []
    for s in SUBSETS:
        n = counts.get(s.column, 0)
        urls = ([r.url for r in gold.where(F.col(s.column)).orderBy("doc_id").select("url").limit(examples).collect()]
                if n else [])
        out.append({"subset": s.name, "column": s.column, "description": s.description,
                    "condition": s.condition_text(cfg.gold.subset_thresholds), "documents": n, "examples": urls})
    return out


def domain_stats(gold: DataFrame | None, examples: int = SUBSET_EXAMPLES) -> dict:
    """Topic and format of gold's documents (etl.silver.scorers.DomainScorer): documents per label and language,
    and a few example URLs per label (the first by doc_id). Empty for a gold table without the columns."""
    out: dict = {}
    for head in ("topic", "format"):
        if gold is None or head not in gold.columns:
            continue
        labelled = gold.where(F.col(head).isNotNull())
        per_language: dict[str, dict[str, int]] = {}
        for r in labelled.groupBy(head, "language").count().collect():
            lang = r.language or UNKNOWN_LANGUAGE
            per_language.setdefault(r[head], {})[lang] = int(r["count"])
        ranked = sorted(per_language, key=lambda label: (-sum(per_language[label].values()), label))
        first = (labelled.select(head, "url", F.row_number().over(Window.partitionBy(head).orderBy("doc_id"))
                                 .alias("_n")).where(F.col("_n") <= examples).collect())
        urls: dict[str, list[str]] = {}
        for r in first:
            urls.setdefault(r[head], []).append(r.url)
        out[head] = [{"label": label, "documents": sum(per_language[label].values()), "by_language": per_language[label],
                      "examples": urls.get(label, [])} for label in ranked]
    return out


def _stage_key(stage_row) -> tuple[int, str]:
    name = stage_row.stage
    return (STAGE_ORDER.index(name) if name in STAGE_ORDER else len(STAGE_ORDER), name)


def collect_report_data(spark: SparkSession, cfg: PipelineConfig, summary: RefreshSummary | None = None) -> dict:
    """Every number the report shows, as a JSON-serialisable dict (also written as report.json)."""
    lake = cfg.lake
    silver, gold = read_table(spark, lake, SILVER_DOCUMENTS), read_table(spark, lake, GOLD_DOCUMENTS)
    versions = table_versions(spark, lake)
    data = {
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "lake": lake,
        "table_paths": {name: tables.table_path(lake, name) for name in versions},
        "versions": versions,
        "funnel": lake_funnel(spark, lake),
        "rule_drops": _rule_drops(spark, lake),
        "languages": {"silver": _counts(silver, "language", UNKNOWN_LANGUAGE),
                      "gold": _counts(gold, "language", UNKNOWN_LANGUAGE)},
        "histograms": signal_histograms(spark, cfg),
        "toxicity": {"silver": _counts(silver, "tox_tier", UNKNOWN_LANGUAGE),
                     "gold": _counts(gold, "tox_tier", UNKNOWN_LANGUAGE)},
        "subsets": subset_stats(gold, cfg),
        "domains": domain_stats(gold),
        "text_counts": text_counts(gold, cfg.export.tokenizer),
        "clusters": cluster_stats(spark, lake),
        "privacy": privacy_stats(spark, cfg),
        "quarantine": _counts(read_table(spark, lake, BRONZE_QUARANTINE), "reason"),
        "rules": rule_table(cfg),
        "language_profile": list(cfg.silver.languages),
        "toxicity_model": model_facts(cfg.silver.toxicity_model_path),
        "dedup": dedup_parameters(cfg),
        "gold_columns": [*GOLD_DOCUMENT_COLUMNS, "gold_run_id"],
        "runs": run_history(spark, lake),
        "run": None,
    }
    if summary is not None:
        data["run"] = {"run_id": summary.run_id, "lines": summary.lines()}
    return data
