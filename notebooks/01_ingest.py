# Databricks notebook source
# Get `spark`: Databricks (and the local notebook test) define it; anywhere else build a local session with Delta.
try:
    spark  # noqa: F821
except NameError:
    from etl.spark import get_spark

    spark = get_spark()

# COMMAND ----------

# MAGIC %md
# MAGIC # 01 · Ingest WET files into bronze
# MAGIC Reads Common Crawl WET files into `bronze/documents`, with every bad record or file in `bronze/quarantine` and
# MAGIC one `bronze/ingest_log` row per file. Files already ingested are skipped, so running this twice adds nothing.
# MAGIC Run it from a Databricks Git folder of this repository (its root is on the Python path), or `%pip install` it.

# COMMAND ----------

from etl.notebook_defaults import widget_defaults

DEFAULTS = widget_defaults()  # absolute paths: right on Databricks (a UC volume) and locally
dbutils.widgets.text("inputs", DEFAULTS["inputs"], "Input paths (comma-separated files, dirs, globs, manifests, URLs)")
dbutils.widgets.text("lake", DEFAULTS["lake"], "Lake root")

# COMMAND ----------

from etl import tables
from etl.bronze.ingest import run_ingest
from etl.config import load_config
from pyspark.sql import functions as F

inputs = [p.strip() for p in dbutils.widgets.get("inputs").split(",") if p.strip()]
cfg = load_config(overrides={"lake": dbutils.widgets.get("lake")})
summary = run_ingest(spark, cfg, inputs)
print("\n".join(summary.lines()))

# COMMAND ----------

# MAGIC %md
# MAGIC ## What this run read, file by file

# COMMAND ----------

display(tables.read(spark, cfg.lake, tables.BRONZE_INGEST_LOG)
        .where(F.col("ingest_run_id") == summary.run_id)
        .select("source_file", "status", "documents", "quarantined", "bytes_read", "error", "duration_s"))

# COMMAND ----------

# MAGIC %md
# MAGIC ## Quarantine: every bad record or file, with the reason (this run first)

# COMMAND ----------

display(tables.read(spark, cfg.lake, tables.BRONZE_QUARANTINE)
        .select("reason", "source_file", "record_offset", "detail", "snippet", "ingest_run_id", "quarantined_at")
        .orderBy((F.col("ingest_run_id") == summary.run_id).desc(), F.col("quarantined_at").desc()))
