"""Run report: small aggregates of the lake's Delta tables -> report.json, PNG charts, an HTML page and a dataset
card for gold/documents, plus the helpers the notebooks use.

Modules, one purpose each: ``figures`` (collect every number from the lake with Spark), ``rules`` (the rules gold
runs, as text and thresholds), ``charts`` (matplotlib -> PNG), ``page`` (the HTML page), ``card`` (the dataset
card markdown), ``text`` (number formatting shared by both), ``notebook`` (what-if thresholds, duplicate review),
``write`` (all of it into one folder). The names below are the package's public interface.
"""

from etl.report.card import render_card
from etl.report.charts import (PNG_CLUSTERS, PNG_FUNNEL, PNG_LANGUAGES, PNG_RUNS, PNG_SIGNALS, PNG_TOXICITY,
                               funnel_steps, plot_clusters, plot_funnel, plot_languages, plot_runs,
                               plot_signal_histograms, plot_toxicity, save_charts)
from etl.report.figures import (SIGNAL_HISTOGRAMS, Histogram, cluster_stats, collect_report_data, dedup_parameters,
                                run_history, signal_histograms)
from etl.report.notebook import cluster_review, what_if
from etl.report.page import render_html
from etl.report.rules import rule_table, signal_thresholds
from etl.report.write import DATASET_CARD, REPORT_HTML, REPORT_JSON, write_report

__all__ = [
    "DATASET_CARD", "PNG_CLUSTERS", "PNG_FUNNEL", "PNG_LANGUAGES", "PNG_RUNS", "PNG_SIGNALS", "PNG_TOXICITY",
    "REPORT_HTML", "REPORT_JSON", "SIGNAL_HISTOGRAMS", "Histogram", "cluster_review", "cluster_stats",
    "collect_report_data", "dedup_parameters", "funnel_steps", "plot_clusters", "plot_funnel", "plot_languages",
    "plot_runs", "plot_signal_histograms", "plot_toxicity", "render_card", "render_html", "rule_table", "run_history",
    "save_charts", "signal_histograms", "signal_thresholds", "what_if", "write_report",
]
