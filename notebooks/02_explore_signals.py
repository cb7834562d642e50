# Databricks notebook source
# MAGIC %md
# MAGIC # 02 · Explore silver signals against gold thresholds
# MAGIC Histograms of the stored quality signals with the thresholds gold drops on, then a what-if: how many documents a
# MAGIC different threshold would drop. Everything is computed from `silver/documents`; no signal is recomputed.

# COMMAND ----------

# MAGIC %md
# MAGIC **The package.** In a Databricks Git folder of this repository `etl` imports as it is, and on a cluster that has
# MAGIC the wheel as a library it is installed: skip the next cell. Elsewhere build the wheel (`make dist`), upload it
# MAGIC (`databricks fs cp dist/cc_wet_etl-0.1.0-py3-none-any.whl dbfs:/Volumes/main/default/cc_etl/wheels/`, after
# MAGIC `CREATE VOLUME IF NOT EXISTS main.default.cc_etl`) and install it with the next cell.

# COMMAND ----------

# MAGIC %pip install --quiet /Volumes/main/default/cc_etl/wheels/cc_wet_etl-0.1.0-py3-none-any.whl

# COMMAND ----------

# Get `spark`: Databricks (and the local notebook test) define it; anywhere else build a local session with Delta.
try:
    spark  # noqa: F821
except NameError:
    from etl.spark import get_spark

    spark = get_spark()

# COMMAND ----------

from etl.notebook_defaults import ensure_volume, notebook_config, widget_defaults

DEFAULTS = widget_defaults()  # absolute paths: right on Databricks (a UC volume) and locally
dbutils.widgets.text("lake", DEFAULTS["lake"], "Lake root")
dbutils.widgets.text("preset", "", "Config preset, e.g. arabic (empty: none)")
dbutils.widgets.text("config", "", "Config file, TOML or YAML (applies over the preset)")
dbutils.widgets.text("language", "", "Language code (empty = all)")
dbutils.widgets.text("rule", "gopher_quality:short_doc", "What-if rule (family:name)")
dbutils.widgets.text("threshold", "100", "What-if threshold")

# COMMAND ----------

from etl import report

cfg = notebook_config(dbutils.widgets.get("lake"), dbutils.widgets.get("preset"), dbutils.widgets.get("config"))
ensure_volume(spark, cfg.lake)  # on Databricks: the Unity Catalog volume, created if missing
language = dbutils.widgets.get("language").strip() or None

# COMMAND ----------

histograms = report.signal_histograms(spark, cfg, language)
display(report.plot_signal_histograms(histograms, title=f"Silver signals ({language or 'all languages'})"))

# COMMAND ----------

# MAGIC %md
# MAGIC ## The rules gold applies (global thresholds and per-language overrides)

# COMMAND ----------

import pandas as pd

display(pd.DataFrame([{**r, "per_language": str(r["per_language"])} for r in report.rule_table(cfg)]))

# COMMAND ----------

# MAGIC %md
# MAGIC ## What if the threshold changed?
# MAGIC `drops_now` / `drops_new`: documents the rule fires on today and with the new threshold;
# MAGIC `newly_dropped_from_gold`: kept documents the new threshold would drop; `released_from_rule`: documents this rule
# MAGIC dropped that would pass it (a later rule or dedup may still drop them).

# COMMAND ----------

result = report.what_if(spark, cfg, dbutils.widgets.get("rule"), float(dbutils.widgets.get("threshold")), language)
display(pd.DataFrame([result]))
