# Databricks notebook source
# Get `spark`: Databricks (and the local notebook test) define it; anywhere else build a local session with Delta.
try:
    spark  # noqa: F821
except NameError:
    from etl.spark import get_spark

    spark = get_spark()

# COMMAND ----------

# MAGIC %md
# MAGIC # 04 · Refresh the lake and write the run report
# MAGIC Ingests new WET files, scores them, decides and dedups them against the lake's history (only what is new, exactly
# MAGIC once), then writes the report: HTML page, PNG charts, `report.json` and `DATASET_CARD.md`. Schedule this notebook
# MAGIC as a Databricks job for a periodic refresh.

# COMMAND ----------

from etl.notebook_defaults import widget_defaults

DEFAULTS = widget_defaults()  # absolute paths: right on Databricks (a UC volume) and locally
dbutils.widgets.text("inputs", DEFAULTS["inputs"], "Input paths (comma-separated files, dirs, globs, manifests, URLs)")
dbutils.widgets.text("lake", DEFAULTS["lake"], "Lake root")
dbutils.widgets.text("report_dir", DEFAULTS["report_dir"], "Report directory (a local or /Volumes/... path)")

# COMMAND ----------

from etl.config import load_config
from etl.pipeline import refresh
from etl.report import plot_funnel, plot_runs, run_history, write_report

inputs = [p.strip() for p in dbutils.widgets.get("inputs").split(",") if p.strip()]
cfg = load_config(overrides={"lake": dbutils.widgets.get("lake")})
summary = refresh(spark, cfg, inputs)
print("\n".join(summary.lines()))

# COMMAND ----------

paths = write_report(spark, cfg, dbutils.widgets.get("report_dir"), summary)
print(f"report: {paths['html']}\ndataset card: {paths['card']}")
display(plot_funnel(summary.funnel))

# COMMAND ----------

# MAGIC %md
# MAGIC Refreshes so far (the lake's `_runs` table): seconds per stage and rows each stage read. A stage that costs more
# MAGIC than before shows here first.

# COMMAND ----------

history = run_history(spark, cfg.lake)
display(plot_runs(history))
