"""Notebook helpers (Spark): what a threshold change would drop, and duplicate clusters to review by eye."""

from __future__ import annotations

import dataclasses

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from etl.config import PipelineConfig
from etl.table_specs import GOLD_DOCUMENTS, GOLD_DUPLICATES, GOLD_REJECTIONS, SILVER_DOCUMENTS
from etl.gold.decisions import active_rules, effective_language_overrides, rule_fires, with_derived_signals
from etl.report.figures import read_table
from etl.report.rules import threshold_for

REVIEW_SCHEMA = ("cluster_id string, cluster_size long, stage string, similarity double, survivor_id string, "
                 "survivor_url string, survivor_excerpt string, doc_id string, url string, excerpt string")


def what_if(spark: SparkSession, cfg: PipelineConfig, rule_key: str, threshold: float,
            language: str | None = None) -> dict:
    """How many silver documents `rule_key` drops now, and would drop at `threshold`, from stored signals.

    With `language`, the new value is that language's override (and only its documents are counted); without,
    it replaces the global threshold and per-language overrides stay, as `gold.rule_overrides` would.
    """
    rules = {r.key: r for r in active_rules(cfg.gold, cfg.silver.languages)}
    if rule_key not in rules:
        raise ValueError(f"rule {rule_key!r} is not active (active: {', '.join(rules)})")
    rule = rules[rule_key]
    overrides = effective_language_overrides(cfg.gold.language_overrides)
    new_overrides = {lang: dict(o) for lang, o in overrides.items()}
    new_rule = rule
    if language is not None:
        new_overrides.setdefault(language, {})[rule_key] = threshold
    else:
        new_rule = dataclasses.replace(rule, threshold=threshold)
    result = {"rule": rule_key, "language": language, "threshold_now": threshold_for(rule, language, overrides),
              "threshold_new": threshold, "documents": 0, "drops_now": 0, "drops_new": 0,
              "newly_dropped_from_gold": 0, "released_from_rule": 0}
    silver = read_table(spark, cfg.lake, SILVER_DOCUMENTS)
    if silver is None:
        return result
    if language is not None:
        silver = silver.where(F.col("language") == F.lit(language))
    # Flag rules (language, toxicity tiers) read helper columns that gold derives at decision time.
    silver = with_derived_signals(silver, cfg.gold, cfg.silver.languages)
    now, new = rule_fires(rule, overrides), rule_fires(new_rule, new_overrides)
    in_gold, dropped_by_rule = F.lit(False), F.lit(False)
    gold = read_table(spark, cfg.lake, GOLD_DOCUMENTS)
    if gold is not None:
        silver = silver.join(gold.select("doc_id", F.lit(True).alias("_in_gold")), "doc_id", "left")
        in_gold = F.coalesce(F.col("_in_gold"), F.lit(False))
    rej = read_table(spark, cfg.lake, GOLD_REJECTIONS)
    if rej is not None:
        mine = rej.where(F.col("reason") == F.lit(rule_key)).select("doc_id", F.lit(True).alias("_by_rule"))
        silver = silver.join(mine, "doc_id", "left")
        dropped_by_rule = F.coalesce(F.col("_by_rule"), F.lit(False))

    def n(cond: Column) -> Column:
        return F.sum(F.when(cond, 1).otherwise(0))

    row = silver.agg(F.count(F.lit(1)).alias("documents"), n(now).alias("drops_now"), n(new).alias("drops_new"),
                     n(in_gold & new).alias("newly_dropped_from_gold"),
                     n(dropped_by_rule & ~new).alias("released_from_rule")).first()
    result.update({k: int(row[k] or 0) for k in row.asDict()})
    return result


def cluster_review(spark: SparkSession, cfg: PipelineConfig, clusters: int = 5, per_cluster: int = 5,
                   excerpt_chars: int = 300) -> DataFrame:
    """The largest `clusters` duplicate clusters, one row per duplicate next to its survivor, with text excerpts.

    A DataFrame (nothing collected here): callers display or limit it.
    """
    dups = read_table(spark, cfg.lake, GOLD_DUPLICATES)
    silver = read_table(spark, cfg.lake, SILVER_DOCUMENTS)
    if dups is None or silver is None:
        return spark.createDataFrame([], REVIEW_SCHEMA)
    top = (dups.select("cluster_id", "cluster_size").distinct()
           .orderBy(F.col("cluster_size").desc(), F.col("cluster_id")).limit(clusters))
    ranked = dups.join(top, ["cluster_id", "cluster_size"]).withColumn(
        "_n", F.row_number().over(Window.partitionBy("cluster_id").orderBy(F.col("similarity").desc(), "doc_id")))
    texts = silver.select("doc_id", "url", F.substring("text", 1, excerpt_chars).alias("excerpt"))
    survivors = texts.select(F.col("doc_id").alias("survivor_id"), F.col("url").alias("survivor_url"),
                             F.col("excerpt").alias("survivor_excerpt"))
    return (ranked.where(F.col("_n") <= per_cluster)
            .join(texts, "doc_id", "left").join(survivors, "survivor_id", "left")
            .select(*[c.split()[0] for c in REVIEW_SCHEMA.split(", ")])
            .orderBy(F.col("cluster_size").desc(), "cluster_id", F.col("similarity").desc(), "doc_id"))
