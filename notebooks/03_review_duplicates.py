# Databricks notebook source
# MAGIC %md
# MAGIC # 03 · Review duplicate clusters
# MAGIC The largest clusters in `gold/duplicates`: each removed copy next to the survivor that was kept, with the
# MAGIC estimated similarity (1.0 = identical text) and the start of both texts, to check that dedup removed true copies.

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
dbutils.widgets.text("clusters", "10", "Clusters to show (largest first)")
dbutils.widgets.text("per_cluster", "5", "Duplicates per cluster")

# COMMAND ----------

from etl import report

cfg = notebook_config(dbutils.widgets.get("lake"), dbutils.widgets.get("preset"), dbutils.widgets.get("config"))
ensure_volume(spark, cfg.lake)  # on Databricks: the Unity Catalog volume, created if missing
display(report.plot_clusters(report.cluster_stats(spark, cfg.lake)))

# COMMAND ----------

review = report.cluster_review(spark, cfg, clusters=int(dbutils.widgets.get("clusters")),
                               per_cluster=int(dbutils.widgets.get("per_cluster")))
display(review)
