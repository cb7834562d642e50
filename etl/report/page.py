"""The report's HTML page: inline CSS, charts by relative path, and the tables behind them."""

from __future__ import annotations

import html
from pathlib import Path

from etl.report.charts import (PNG_CLUSTERS, PNG_FUNNEL, PNG_LANGUAGES, PNG_RUNS, PNG_SIGNALS, PNG_TOXICITY,
                               funnel_steps)
from etl.report.privacy import (decontamination_condition, decontamination_rows, decontamination_text, pii_rows,
                                pii_text)
from etl.report.rules import drop_conditions, overrides_text, rule_condition
from etl.report.text import DOMAIN_HEADS, DOMAIN_NOTE, domain_table, fmt, run_table, share

HTML_STYLE = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
th{background:#f2f2f2}td:nth-child(n+2){font-variant-numeric:tabular-nums}img{max-width:100%;border:1px solid #eee}
code,pre{background:#f6f6f6;padding:2px 4px}"""


def html_table(header: list[str], rows: list[list]) -> str:
    if not rows:
        return "<p><em>none</em></p>"
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(fmt(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _privacy(p: dict | None) -> list[str]:
    """Personal data redacted per kind and documents removed per benchmark, with example URLs."""
    if not p:
        return []
    return ["<h2>Personal data and benchmark decontamination</h2>", f"<p>{html.escape(pii_text(p))}</p>",
            html_table(["kind", "documents redacted", "example URLs"], pii_rows(p)),
            f"<p>{html.escape(decontamination_text(p))}</p>",
            html_table(["benchmark", "action", "documents", "example URLs"], decontamination_rows(p))]


def _domains(d: dict | None, kept: int) -> list[str]:
    """Topic and format distribution of gold, per language, with example URLs."""
    if not d:
        return []
    out = ["<h2>Topics and formats</h2>", f"<p>{html.escape(DOMAIN_NOTE)}</p>"]
    for head, title in DOMAIN_HEADS:
        if d.get(head):
            out += [f"<h3>{title}</h3>", html_table(*domain_table(d[head], kept))]
    return out


def render_html(data: dict, pngs: dict[str, Path]) -> str:
    """A self-contained page: inline CSS, charts by relative path, the tables behind them."""
    f = data["funnel"]
    funnel_rows = [[label, n, f"{100 * n / max(f['records_in'], 1):.1f}%"] for label, n, _ in funnel_steps(f)]
    conditions = drop_conditions(data["rules"], data["dedup"])
    drop_rows = [[d["stage"], d["reason"], d["count"],
                  conditions.get(d["reason"]) or decontamination_condition(d["reason"])] for d in data["rule_drops"]]
    version_rows = [[name, v, data["table_paths"][name]] for name, v in data["versions"].items()]
    quarantine_rows = [[reason, n] for reason, n in data["quarantine"].items()]
    threshold_rows = [[r["rule"], rule_condition(r), overrides_text(r["per_language"])] for r in data["rules"]]
    subset_rows = [[s["column"], s["documents"], share(s["documents"], f["kept"]), s["condition"],
                    " ".join(s["examples"])] for s in data.get("subsets", [])]

    def img(name: str, alt: str) -> str:
        return f'<img src="{html.escape(pngs[name].name)}" alt="{html.escape(alt)}">' if name in pngs else ""

    run = data.get("run")
    run_html = ("<h2>This run</h2><pre>" + html.escape("\n".join(run["lines"])) + "</pre>") if run else ""
    runs = data.get("runs", [])
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>ETL run report</title><style>{HTML_STYLE}</style>"
        "</head><body>",
        "<h1>Common Crawl WET ETL: run report</h1>",
        f"<p>Lake <code>{html.escape(data['lake'])}</code>, generated {html.escape(data['generated_at'])}. Counts "
        "are lake-wide, read from the Delta tables at the versions listed below.</p>",
        "<h2>Funnel</h2>", img(PNG_FUNNEL, "funnel"), html_table(["step", "records", "of records in"], funnel_rows),
        "<h2>Drops per rule</h2><p>Each dropped document is counted once, under the first rule that fired "
        "(from <code>gold/rejections</code>).</p>",
        html_table(["stage", "reason", "documents", "drops when"], drop_rows),
        "<h2>Languages</h2>", img(PNG_LANGUAGES, "languages"),
        "<h2>Signals and thresholds</h2>", img(PNG_SIGNALS, "signal histograms"),
        html_table(["rule", "drops when", "per-language thresholds"], threshold_rows),
        "<h2>Toxicity tiers</h2>", img(PNG_TOXICITY, "toxicity tiers"),
        "<h2>Subsets</h2><p>Code, math and Q&amp;A documents in <code>gold/documents</code> (flags gold derives from "
        "silver's signals; <code>export --subset</code> writes one; docs/subsets.md).</p>",
        html_table(["flag", "documents", "of gold", "flagged when", "examples"], subset_rows),
        *_domains(data.get("domains"), f["kept"]),
        "<h2>Duplicate clusters</h2>", img(PNG_CLUSTERS, "cluster sizes"),
        html_table(["cluster size", "clusters"], [[k, v] for k, v in data["clusters"]["sizes"].items()]),
        *_privacy(data.get("privacy")),
        "<h2>Quarantine</h2>", html_table(["reason", "records"], quarantine_rows),
        run_html,
        "<h2>Refreshes</h2><p>One row per refresh from the lake's <code>_runs</code> table (most recent "
        f"{len(runs)}): a stage costing more than before shows here first.</p>",
        img(PNG_RUNS, "seconds and rows per refresh"), html_table(*run_table(runs)),
        "<h2>Table versions</h2>", html_table(["table", "Delta version", "path"], version_rows),
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p)
