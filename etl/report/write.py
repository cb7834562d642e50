"""Write the whole run report to a folder: report.json, the PNG charts, report.html and DATASET_CARD.md."""

from __future__ import annotations

import json
from pathlib import Path

from pyspark.sql import SparkSession

from etl.config import PipelineConfig
from etl.pipeline import RefreshSummary
from etl.report.card import render_card
from etl.report.charts import save_charts
from etl.report.figures import collect_report_data
from etl.report.page import render_html

REPORT_JSON, REPORT_HTML, DATASET_CARD = "report.json", "report.html", "DATASET_CARD.md"


def write_report(spark: SparkSession, cfg: PipelineConfig, out_dir: str, summary: RefreshSummary | None = None) -> dict:
    """Write report.json, the PNG charts, report.html and DATASET_CARD.md under out_dir; returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = collect_report_data(spark, cfg, summary)
    json_path = out / REPORT_JSON
    json_path.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    pngs = save_charts(data, out)
    html_path = out / REPORT_HTML
    html_path.write_text(render_html(data, pngs), encoding="utf-8")
    card_path = out / DATASET_CARD
    card_path.write_text(render_card(data), encoding="utf-8")
    return {"html": html_path, "card": card_path, "json": json_path, "pngs": list(pngs.values())}
