# Databricks notebook source
# MAGIC %md
# MAGIC # 04 · Refresh the lake and write the run report
# MAGIC Ingests new WET files, scores them, decides and dedups them against the lake's history (only what is new, exactly
# MAGIC once), then writes the report: HTML page, PNG charts, `report.json` and `DATASET_CARD.md`. Schedule this notebook
# MAGIC as a Databricks job for a periodic refresh.

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
dbutils.widgets.text("report_dir", DEFAULTS["report_dir"], "Report directory (a local or /Volumes/... path)")

# COMMAND ----------

from etl.pipeline import refresh
from etl.report import plot_funnel, plot_runs, run_history, write_report

inputs = [p.strip() for p in dbutils.widgets.get("inputs").split(",") if p.strip()]
cfg = notebook_config(dbutils.widgets.get("lake"), dbutils.widgets.get("preset"), dbutils.widgets.get("config"))
ensure_volume(spark, cfg.lake)  # on Databricks: the Unity Catalog volume, created if missing
summary = refresh(spark, cfg, inputs)
print("\n".join(summary.lines()))

# COMMAND ----------

ensure_volume(spark, dbutils.widgets.get("report_dir"))
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
