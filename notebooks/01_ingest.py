# Databricks notebook source
# MAGIC %md
# MAGIC # 01 · Ingest WET files into bronze
# MAGIC Reads Common Crawl WET files into `bronze/documents`, with every bad record or file in `bronze/quarantine` and
# MAGIC one `bronze/ingest_log` row per file. Files already ingested are skipped, so running this twice adds nothing.

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
dbutils.widgets.text("inputs", DEFAULTS["inputs"], "Input paths (comma-separated files, dirs, globs, manifests, URLs)")
dbutils.widgets.text("lake", DEFAULTS["lake"], "Lake root")
dbutils.widgets.text("preset", "", "Config preset, e.g. arabic (empty: none)")
dbutils.widgets.text("config", "", "Config file, TOML or YAML (applies over the preset)")

# COMMAND ----------

from etl import tables
from etl.bronze.ingest import run_ingest
from etl.table_specs import BRONZE_INGEST_LOG, BRONZE_QUARANTINE
from pyspark.sql import functions as F

inputs = [p.strip() for p in dbutils.widgets.get("inputs").split(",") if p.strip()]
cfg = notebook_config(dbutils.widgets.get("lake"), dbutils.widgets.get("preset"), dbutils.widgets.get("config"))
ensure_volume(spark, cfg.lake)  # on Databricks: the Unity Catalog volume, created if missing
summary = run_ingest(spark, cfg, inputs)
print("\n".join(summary.lines()))

# COMMAND ----------

# MAGIC %md
# MAGIC ## What this run read, file by file

# COMMAND ----------

display(tables.read(spark, cfg.lake, BRONZE_INGEST_LOG)
        .where(F.col("ingest_run_id") == summary.run_id)
        .select("source_file", "status", "documents", "quarantined", "bytes_read", "error", "duration_s"))

# COMMAND ----------

# MAGIC %md
# MAGIC ## Quarantine: every bad record or file, with the reason (this run first)

# COMMAND ----------

display(tables.read(spark, cfg.lake, BRONZE_QUARANTINE)
        .select("reason", "source_file", "record_offset", "detail", "snippet", "ingest_run_id", "quarantined_at")
        .orderBy((F.col("ingest_run_id") == summary.run_id).desc(), F.col("quarantined_at").desc()))
