# Databricks notebook source
# Get `spark`: Databricks (and the local notebook test) define it; anywhere else build a local session with Delta.
try:
    spark  # noqa: F821
except NameError:
    from etl.spark import get_spark

    spark = get_spark()

# COMMAND ----------

# MAGIC %md
# MAGIC # 03 · Review duplicate clusters
# MAGIC The largest clusters in `gold/duplicates`: each removed copy next to the survivor that was kept, with the
# MAGIC estimated similarity (1.0 = identical text) and the start of both texts, to check that dedup removed true copies.

# COMMAND ----------

from etl.notebook_defaults import widget_defaults

DEFAULTS = widget_defaults()  # absolute paths: right on Databricks (a UC volume) and locally
dbutils.widgets.text("lake", DEFAULTS["lake"], "Lake root")
dbutils.widgets.text("clusters", "10", "Clusters to show (largest first)")
dbutils.widgets.text("per_cluster", "5", "Duplicates per cluster")

# COMMAND ----------

from etl import report
from etl.config import load_config

cfg = load_config(overrides={"lake": dbutils.widgets.get("lake")})
display(report.plot_clusters(report.cluster_stats(spark, cfg.lake)))

# COMMAND ----------

review = report.cluster_review(spark, cfg, clusters=int(dbutils.widgets.get("clusters")),
                               per_cluster=int(dbutils.widgets.get("per_cluster")))
display(review)
