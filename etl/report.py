"""Run report: small aggregates of the lake's Delta tables -> report.json, PNG charts, an HTML page and a dataset
card for gold/documents.

All heavy work stays in Spark (counts, and histograms as bucket + groupBy); only those aggregates reach the driver,
so a report costs the same few jobs on a sample and on a full crawl. Missing or empty tables give zeros, not errors.
"""

from __future__ import annotations

import dataclasses
import html
import json
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from etl import tables
from etl.config import PipelineConfig
from etl.gold.build import GOLD_DOCUMENT_COLUMNS, GOLD_DOCUMENTS, GOLD_DUPLICATES, GOLD_REJECTIONS, SILVER_DOCUMENTS
from etl.gold.decisions import (ANY_OTHER_LANGUAGE, active_rules, effective_language_overrides, rule_fires,
                                with_derived_signals)
from etl.gold.dedup import lsh_config
from etl.gold.rules import Rule
from etl.pipeline import RefreshSummary, lake_funnel, table_versions

REPORT_JSON, REPORT_HTML, DATASET_CARD = "report.json", "report.html", "DATASET_CARD.md"
PNG_FUNNEL, PNG_LANGUAGES, PNG_SIGNALS = "funnel.png", "languages.png", "signals.png"
PNG_TOXICITY, PNG_CLUSTERS = "toxicity.png", "clusters.png"
UNKNOWN_LANGUAGE = "unknown"
TOP_LANGUAGES = 15  # the rest is summed into "other" so the chart stays readable
DPI = 110
# Colours: what comes in, what is dropped, what is kept, and the drop side of a threshold.
COLOR_IN, COLOR_DROP, COLOR_DEDUP, COLOR_KEPT = "#4c72b0", "#c44e52", "#dd8452", "#55a868"
COLOR_SILVER, COLOR_GOLD = "#8c8c8c", "#d4a017"
TIER_ORDER = ("none", "mild", "toxic")


@dataclass(frozen=True)
class Histogram:
    """One silver signal bucketed into `bins` equal-width buckets over [lo, hi] (in log10 space when `log`).

    Fixed edges mean one Spark pass for every signal at once; values outside [lo, hi] land in the end buckets.
    """

    column: str
    lo: float
    hi: float
    bins: int
    log: bool = False

    def edges(self) -> list[float]:
        lo, hi = (math.log10(self.lo), math.log10(self.hi)) if self.log else (self.lo, self.hi)
        step = (hi - lo) / self.bins
        return [10 ** (lo + i * step) if self.log else lo + i * step for i in range(self.bins + 1)]


SIGNAL_HISTOGRAMS = (
    Histogram("gopher_n_words", 1, 1e6, 30, log=True),
    Histogram("gopher_alpha_word_frac", 0.0, 1.0, 25),
    Histogram("gopher_rep_dup_line_frac", 0.0, 1.0, 25),
    Histogram("fineweb_line_punct_frac", 0.0, 1.0, 25),
    Histogram("fineweb_short_line_frac", 0.0, 1.0, 25),
    Histogram("c4_n_sentences", 1, 1e4, 24, log=True),
    Histogram("language_score", 0.0, 1.0, 25),
)


# ---------------------------------------------------------------------------------------------------------------
# Aggregates (Spark)
# ---------------------------------------------------------------------------------------------------------------

def _read(spark: SparkSession, lake: str, name: str) -> DataFrame | None:
    return tables.read(spark, lake, name) if tables.exists(spark, lake, name) else None


def _counts(df: DataFrame | None, column: str, null_label: str | None = None) -> dict[str, int]:
    """{value: rows} of one column, largest first (an aggregate: one row per distinct value)."""
    if df is None:
        return {}
    rows = df.groupBy(column).count().collect()
    out = {(r[column] if r[column] is not None else null_label): int(r["count"]) for r in rows}
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], str(kv[0]))))


def _bucket(spec: Histogram) -> Column:
    x = F.col(spec.column).cast("double")
    missing = x.isNull() | F.isnan(x)
    lo, hi = spec.lo, spec.hi
    if spec.log:
        # Values below lo (e.g. 0 words) are clamped into the first bucket instead of becoming -inf.
        x, lo, hi = F.log10(F.greatest(x, F.lit(float(spec.lo)))), math.log10(lo), math.log10(hi)
    idx = F.floor((x - F.lit(lo)) / F.lit((hi - lo) / spec.bins))
    return F.when(missing, F.lit(None)).otherwise(F.least(F.greatest(idx, F.lit(0)), F.lit(spec.bins - 1))).cast("int")


def _threshold_for(rule: Rule, language: str | None, overrides: dict[str, dict[str, float]]) -> float:
    """The threshold gold applies to documents of `language` (same precedence as decisions._threshold)."""
    if language is not None and rule.key in overrides.get(language, {}):
        return overrides[language][rule.key]
    if language is not None and rule.key in overrides.get(ANY_OTHER_LANGUAGE, {}):
        return overrides[ANY_OTHER_LANGUAGE][rule.key]
    return rule.threshold


def signal_thresholds(cfg: PipelineConfig, language: str | None = None) -> dict[str, list[dict]]:
    """{signal: [threshold rule, ...]} for the numeric rules gold runs; `threshold` is for `language` if given."""
    overrides = effective_language_overrides(cfg.gold.language_overrides)
    out: dict[str, list[dict]] = {}
    for rule in active_rules(cfg.gold, cfg.silver.languages):
        if rule.op in ("==", "!="):  # boolean flags have no threshold to draw
            continue
        out.setdefault(rule.signal, []).append({
            "rule": rule.key, "op": rule.op, "global": rule.threshold,
            "threshold": _threshold_for(rule, language, overrides),
            "drops": "below" if rule.op in ("<", "<=") else "above",
            "per_language": {lang: o[rule.key] for lang, o in sorted(overrides.items()) if rule.key in o},
        })
    return out


def signal_histograms(spark: SparkSession, cfg: PipelineConfig, language: str | None = None,
                      specs: tuple[Histogram, ...] = SIGNAL_HISTOGRAMS) -> dict[str, dict]:
    """Histograms of silver signals (optionally one language) with the thresholds that drop on them."""
    silver = _read(spark, cfg.lake, SILVER_DOCUMENTS)
    counts: dict[tuple[str, int | None], int] = {}
    if silver is not None:
        if language is not None:
            silver = silver.where(F.col("language") == F.lit(language))
        cells = F.array(*[F.struct(F.lit(s.column).alias("signal"), _bucket(s).alias("bucket")) for s in specs])
        rows = silver.select(F.explode(cells).alias("h")).groupBy("h.signal", "h.bucket").count().collect()
        counts = {(r.signal, r.bucket): int(r["count"]) for r in rows}
    thresholds = signal_thresholds(cfg, language)
    out = {}
    for s in specs:
        buckets = [counts.get((s.column, i), 0) for i in range(s.bins)]
        nulls = counts.get((s.column, None), 0)
        out[s.column] = {"log": s.log, "edges": s.edges(), "counts": buckets, "nulls": nulls,
                         "total": sum(buckets) + nulls, "thresholds": thresholds.get(s.column, [])}
    return out


def rule_table(cfg: PipelineConfig) -> list[dict]:
    """Every active rule with its global threshold and per-language overrides (for the card and the HTML)."""
    overrides = effective_language_overrides(cfg.gold.language_overrides)
    return [{"rule": r.key, "family": r.family, "signal": r.signal, "op": r.op, "threshold": r.threshold,
             "per_language": {lang: o[r.key] for lang, o in sorted(overrides.items()) if r.key in o}}
            for r in active_rules(cfg.gold, cfg.silver.languages)]


def dedup_parameters(cfg: PipelineConfig) -> dict:
    d = cfg.gold.dedup
    bands, rows = lsh_config(d).bands_rows()
    return {"near_enabled": d.enabled, "exact_enabled": d.exact, "num_perm": d.num_perm, "seed": d.seed,
            "ngram": d.ngram, "kind": d.kind, "mode": d.mode, "threshold": d.threshold, "bands": bands, "rows": rows,
            "verify_threshold": d.verify_threshold, "verify_method": d.verify_method,
            "survivor_order": list(d.survivor_order)}


def _verified_jaccard(d: dict) -> str:
    """How a candidate pair's Jaccard was measured, for the report and the card."""
    return "exact shingle-set Jaccard" if d.get("verify_method") == "exact" else "estimated Jaccard"


def _rule_drops(spark: SparkSession, lake: str) -> list[dict]:
    rej = _read(spark, lake, GOLD_REJECTIONS)
    if rej is None:
        return []
    rows = rej.groupBy("stage", "reason").count().collect()
    return sorted(({"stage": r.stage, "reason": r.reason, "count": int(r["count"])} for r in rows),
                  key=lambda d: (-d["count"], d["reason"]))


def cluster_stats(spark: SparkSession, lake: str) -> dict:
    """Duplicate clusters by size (survivor included), and removed duplicates by stage."""
    dups = _read(spark, lake, GOLD_DUPLICATES)
    if dups is None:
        return {"sizes": {}, "clusters": 0, "duplicates": 0, "by_stage": {}}
    sizes = _counts(dups.select("cluster_id", "cluster_size").distinct(), "cluster_size")
    sizes = {str(k): v for k, v in sorted(sizes.items(), key=lambda kv: int(kv[0]))}
    by_stage = _counts(dups, "stage")
    return {"sizes": sizes, "clusters": sum(sizes.values()), "duplicates": sum(by_stage.values()), "by_stage": by_stage}


def collect_report_data(spark: SparkSession, cfg: PipelineConfig, summary: RefreshSummary | None = None) -> dict:
    """Every number the report shows, as a JSON-serialisable dict (also written as report.json)."""
    lake = cfg.lake
    silver, gold = _read(spark, lake, SILVER_DOCUMENTS), _read(spark, lake, GOLD_DOCUMENTS)
    versions = table_versions(spark, lake)
    data = {
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "lake": lake,
        "table_paths": {name: tables.table_path(lake, name) for name in versions},
        "versions": versions,
        "funnel": lake_funnel(spark, lake),
        "rule_drops": _rule_drops(spark, lake),
        "languages": {"silver": _counts(silver, "language", UNKNOWN_LANGUAGE),
                      "gold": _counts(gold, "language", UNKNOWN_LANGUAGE)},
        "histograms": signal_histograms(spark, cfg),
        "toxicity": {"silver": _counts(silver, "tox_tier", UNKNOWN_LANGUAGE),
                     "gold": _counts(gold, "tox_tier", UNKNOWN_LANGUAGE)},
        "clusters": cluster_stats(spark, lake),
        "quarantine": _counts(_read(spark, lake, tables.BRONZE_QUARANTINE), "reason"),
        "rules": rule_table(cfg),
        "language_profile": list(cfg.silver.languages),
        "dedup": dedup_parameters(cfg),
        "gold_columns": [*GOLD_DOCUMENT_COLUMNS, "gold_run_id"],
        "run": None,
    }
    if summary is not None:
        data["run"] = {"run_id": summary.run_id, "lines": summary.lines()}
    return data


# ---------------------------------------------------------------------------------------------------------------
# Notebook helpers (Spark): what-if thresholds and duplicate review
# ---------------------------------------------------------------------------------------------------------------

def what_if(spark: SparkSession, cfg: PipelineConfig, rule_key: str, threshold: float,
            language: str | None = None) -> dict:
    """How many silver documents `rule_key` drops now, and would drop at `threshold`, from stored signals.

    With `language`, the new value is that language's override (and only its documents are counted); without,
    it replaces the global threshold and per-language overrides stay, as `gold.rule_overrides` would.
    """
    rules = {r.key: r for r in active_rules(cfg.gold, cfg.silver.languages)}
    if rule_key not in rules:
        raise ValueError(f"rule {rule_key!r} is not active (active: {', '.join(rules)})")
    rule = rules[rule_key]
    overrides = effective_language_overrides(cfg.gold.language_overrides)
    new_overrides = {lang: dict(o) for lang, o in overrides.items()}
    new_rule = rule
    if language is not None:
        new_overrides.setdefault(language, {})[rule_key] = threshold
    else:
        new_rule = dataclasses.replace(rule, threshold=threshold)
    result = {"rule": rule_key, "language": language, "threshold_now": _threshold_for(rule, language, overrides),
              "threshold_new": threshold, "documents": 0, "drops_now": 0, "drops_new": 0,
              "newly_dropped_from_gold": 0, "released_from_rule": 0}
    silver = _read(spark, cfg.lake, SILVER_DOCUMENTS)
    if silver is None:
        return result
    if language is not None:
        silver = silver.where(F.col("language") == F.lit(language))
    # Flag rules (language, toxicity tiers) read helper columns that gold derives at decision time.
    silver = with_derived_signals(silver, cfg.gold, cfg.silver.languages)
    now, new = rule_fires(rule, overrides), rule_fires(new_rule, new_overrides)
    in_gold, dropped_by_rule = F.lit(False), F.lit(False)
    gold = _read(spark, cfg.lake, GOLD_DOCUMENTS)
    if gold is not None:
        silver = silver.join(gold.select("doc_id", F.lit(True).alias("_in_gold")), "doc_id", "left")
        in_gold = F.coalesce(F.col("_in_gold"), F.lit(False))
    rej = _read(spark, cfg.lake, GOLD_REJECTIONS)
    if rej is not None:
        mine = rej.where(F.col("reason") == F.lit(rule_key)).select("doc_id", F.lit(True).alias("_by_rule"))
        silver = silver.join(mine, "doc_id", "left")
        dropped_by_rule = F.coalesce(F.col("_by_rule"), F.lit(False))

    def n(cond: Column) -> Column:
        return F.sum(F.when(cond, 1).otherwise(0))

    row = silver.agg(F.count(F.lit(1)).alias("documents"), n(now).alias("drops_now"), n(new).alias("drops_new"),
                     n(in_gold & new).alias("newly_dropped_from_gold"),
                     n(dropped_by_rule & ~new).alias("released_from_rule")).first()
    result.update({k: int(row[k] or 0) for k in row.asDict()})
    return result


REVIEW_SCHEMA = ("cluster_id string, cluster_size long, stage string, similarity double, survivor_id string, "
                 "survivor_url string, survivor_excerpt string, doc_id string, url string, excerpt string")


def cluster_review(spark: SparkSession, cfg: PipelineConfig, clusters: int = 5, per_cluster: int = 5,
                   excerpt_chars: int = 300) -> DataFrame:
    """The largest `clusters` duplicate clusters, one row per duplicate next to its survivor, with text excerpts.

    A DataFrame (nothing collected here): callers display or limit it.
    """
    dups = _read(spark, cfg.lake, GOLD_DUPLICATES)
    silver = _read(spark, cfg.lake, SILVER_DOCUMENTS)
    if dups is None or silver is None:
        return spark.createDataFrame([], REVIEW_SCHEMA)
    top = (dups.select("cluster_id", "cluster_size").distinct()
           .orderBy(F.col("cluster_size").desc(), F.col("cluster_id")).limit(clusters))
    ranked = dups.join(top, ["cluster_id", "cluster_size"]).withColumn(
        "_n", F.row_number().over(Window.partitionBy("cluster_id").orderBy(F.col("similarity").desc(), "doc_id")))
    texts = silver.select("doc_id", "url", F.substring("text", 1, excerpt_chars).alias("excerpt"))
    survivors = texts.select(F.col("doc_id").alias("survivor_id"), F.col("url").alias("survivor_url"),
                             F.col("excerpt").alias("survivor_excerpt"))
    return (ranked.where(F.col("_n") <= per_cluster)
            .join(texts, "doc_id", "left").join(survivors, "survivor_id", "left")
            .select(*[c.split()[0] for c in REVIEW_SCHEMA.split(", ")])
            .orderBy(F.col("cluster_size").desc(), "cluster_id", F.col("similarity").desc(), "doc_id"))


# ---------------------------------------------------------------------------------------------------------------
# Charts (matplotlib Figure + Agg canvas: no pyplot state, safe in notebooks and threads)
# ---------------------------------------------------------------------------------------------------------------

def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _no_data(ax, what: str, keep_axes: bool = False) -> None:
    """Say so on an empty chart; histograms keep their axes so the thresholds still read against a scale."""
    ax.text(0.5, 0.5, f"no data: {what}", ha="center", va="center", fontsize=11, color="#666666",
            transform=ax.transAxes)
    if not keep_axes:
        ax.set_xticks([])
        ax.set_yticks([])


def funnel_steps(funnel: dict) -> list[tuple[str, int, str]]:
    """(label, count, colour) from records in to kept, in pipeline order."""
    steps = [("records in", funnel["records_in"], COLOR_IN), ("quarantined", funnel["quarantined"], COLOR_DROP)]
    steps += [(f"dropped: {fam}", n, COLOR_DROP) for fam, n in funnel["dropped_by_family"].items()]
    steps += [("exact duplicates", funnel["exact_duplicates"], COLOR_DEDUP),
              ("near duplicates", funnel["near_duplicates"], COLOR_DEDUP), ("kept", funnel["kept"], COLOR_KEPT)]
    return steps


def plot_funnel(funnel: dict):
    steps = funnel_steps(funnel)
    fig = _figure(8, 0.45 * len(steps) + 1.4)
    ax = fig.add_subplot()
    labels, values, colors = zip(*steps)
    ax.barh(range(len(steps)), values, color=colors)
    ax.set_yticks(range(len(steps)), labels)
    ax.invert_yaxis()  # pipeline order top to bottom
    total = max(funnel["records_in"], 1)
    for i, v in enumerate(values):
        ax.text(v, i, f" {v:,} ({100 * v / total:.1f}%)", va="center", fontsize=9)
    ax.set_xlim(0, max(max(values), 1) * 1.3)
    ax.set_xlabel("records")
    ax.set_title("Lake funnel (whole lake): where the records went")
    return fig


def _top_languages(languages: dict[str, dict[str, int]]) -> list[str]:
    silver = languages.get("silver") or languages.get("gold") or {}
    return list(silver)[:TOP_LANGUAGES]


def plot_languages(languages: dict[str, dict[str, int]]):
    keep = _top_languages(languages)
    rest = {layer: sum(n for lang, n in counts.items() if lang not in keep) for layer, counts in languages.items()}
    labels = keep + (["other"] if any(rest.values()) else [])
    fig = _figure(8, 0.35 * max(len(labels), 3) + 1.2)
    ax = fig.add_subplot()
    if not labels:
        _no_data(ax, "no documents in silver or gold")
        return fig
    height = 0.4
    for offset, layer, color in ((-height / 2, "silver", COLOR_SILVER), (height / 2, "gold", COLOR_GOLD)):
        counts = languages.get(layer, {})
        values = [counts.get(lang, 0) if lang != "other" else rest.get(layer, 0) for lang in labels]
        ax.barh([i + offset for i in range(len(labels))], values, height=height, color=color,
                label=f"{layer} ({sum(counts.values()):,} documents)")
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    ax.set_xlabel("documents")
    ax.set_title("Languages: scored (silver) vs kept (gold)")
    ax.legend(loc="lower right")
    return fig


def _threshold_label(t: dict) -> str:
    sign = "<" if t["drops"] == "below" else ">"
    extra = f"; {len(t['per_language'])} per-language" if t["per_language"] else ""
    return f"{t['rule'].split(':')[1]}: drop {sign} {t['threshold']:g}{extra}"


def plot_signal_histograms(histograms: dict[str, dict], title: str = "Silver signals with gold drop thresholds"):
    """A grid of signal histograms; each threshold is a dashed line with its dropped side shaded red."""
    names = list(histograms)
    cols = 2
    rows = max(math.ceil(len(names) / cols), 1)
    fig = _figure(11, 2.7 * rows + 0.6)
    fig.suptitle(f"{title} (shaded red = the side that is dropped)")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, name in zip(axes, names):
        h = histograms[name]
        edges, counts = h["edges"], h["counts"]
        widths = [b - a for a, b in zip(edges, edges[1:])]
        ax.bar(edges[:-1], counts, width=widths, align="edge", color=COLOR_IN, edgecolor="white", linewidth=0.4)
        if h["log"]:
            ax.set_xscale("log")
        ax.set_xlim(edges[0], edges[-1])
        ax.set_title(f"{name}  (n={h['total'] - h['nulls']:,}, null={h['nulls']:,})", fontsize=10)
        ax.set_ylabel("documents", fontsize=9)
        ax.yaxis.get_major_locator().set_params(integer=True)  # counts, not fractions of documents
        ax.tick_params(labelsize=8)
        for t in h["thresholds"]:
            x = t["threshold"]
            if not edges[0] <= x <= edges[-1]:
                continue
            lo, hi = (edges[0], x) if t["drops"] == "below" else (x, edges[-1])
            ax.axvspan(lo, hi, color=COLOR_DROP, alpha=0.12)
            ax.axvline(x, color=COLOR_DROP, linestyle="--", linewidth=1.5, label=_threshold_label(t))
        if h["thresholds"]:
            ax.legend(fontsize=8, loc="best", framealpha=0.9)
        if not h["total"]:
            ax.set_ylim(0, 1)  # an empty count axis, not matplotlib's symmetric default around zero
            _no_data(ax, "no silver documents", keep_axes=True)
    for ax in axes[len(names):]:
        ax.set_visible(False)
    return fig


def plot_toxicity(toxicity: dict[str, dict[str, int]]):
    # Every known tier is shown, so a zero "toxic" bar says "none found" rather than "not measured".
    tiers = list(TIER_ORDER) + sorted({t for c in toxicity.values() for t in c} - set(TIER_ORDER))
    fig = _figure(6, 3.6)
    ax = fig.add_subplot()
    if not any(toxicity.values()):
        _no_data(ax, "no documents in silver or gold")
        return fig
    width = 0.4
    for offset, layer, color in ((-width / 2, "silver", COLOR_SILVER), (width / 2, "gold", COLOR_GOLD)):
        values = [toxicity.get(layer, {}).get(t, 0) for t in tiers]
        bars = ax.bar([i + offset for i in range(len(tiers))], values, width=width, color=color, label=layer)
        ax.bar_label(bars, labels=[f"{v:,}" for v in values], fontsize=8)
    ax.set_xticks(range(len(tiers)), tiers)
    ax.set_ylabel("documents")
    ax.set_title("Toxicity tiers (lexicon scores): scored vs kept")
    ax.legend()
    return fig


def plot_clusters(clusters: dict):
    fig = _figure(6, 3.6)
    ax = fig.add_subplot()
    sizes = clusters.get("sizes", {})
    if not sizes:
        _no_data(ax, "no duplicate clusters")
        return fig
    xs = list(sizes)
    bars = ax.bar(range(len(xs)), list(sizes.values()), color=COLOR_DEDUP)
    ax.bar_label(bars, fontsize=8)
    ax.set_xticks(range(len(xs)), xs)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("cluster size (documents, survivor included)")
    ax.set_ylabel("clusters")
    by_stage = ", ".join(f"{k}: {v:,}" for k, v in clusters.get("by_stage", {}).items())
    ax.set_title(f"Duplicate clusters: {clusters['clusters']:,} clusters, {clusters['duplicates']:,} removed\n"
                 f"({by_stage})", fontsize=10)
    return fig


def save_charts(data: dict, out_dir: Path) -> dict[str, Path]:
    """Render every chart to PNG under out_dir; {file name: path}."""
    charts = {
        PNG_FUNNEL: plot_funnel(data["funnel"]),
        PNG_LANGUAGES: plot_languages(data["languages"]),
        PNG_SIGNALS: plot_signal_histograms(data["histograms"]),
        PNG_TOXICITY: plot_toxicity(data["toxicity"]),
        PNG_CLUSTERS: plot_clusters(data["clusters"]),
    }
    paths = {}
    for name, fig in charts.items():
        paths[name] = out_dir / name
        fig.savefig(paths[name], dpi=DPI)
    return paths


# ---------------------------------------------------------------------------------------------------------------
# HTML page and dataset card
# ---------------------------------------------------------------------------------------------------------------

def _fmt(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:g}"
    return "-" if value is None else str(value)


def _html_table(header: list[str], rows: list[list]) -> str:
    if not rows:
        return "<p><em>none</em></p>"
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _rule_condition(r: dict) -> str:
    """Readable drop condition; flag rules read helper columns that decisions derive, so name what they mean."""
    if r["op"] not in ("==", "!=") or not isinstance(r["threshold"], bool):
        return f"{r['signal']} {r['op']} {_fmt(r['threshold'])}"
    signal = r["signal"]
    if signal == "_language_missing":
        return "no language detected"
    if signal == "_language_unwanted":
        return "language not in the run's language profile"
    if signal.startswith("_tox_tier_"):
        return f"tox_tier = '{signal[len('_tox_tier_'):]}'"
    return signal if (r["op"] == "==") == r["threshold"] else f"not {signal}"


def _overrides_text(per_language: dict) -> str:
    return "; ".join(f"{lang}: {_fmt(v)}" for lang, v in per_language.items())


HTML_STYLE = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
th{background:#f2f2f2}td:nth-child(n+2){font-variant-numeric:tabular-nums}img{max-width:100%;border:1px solid #eee}
code,pre{background:#f6f6f6;padding:2px 4px}"""


def render_html(data: dict, pngs: dict[str, Path]) -> str:
    """A self-contained page: inline CSS, charts by relative path, the tables behind them."""
    f = data["funnel"]
    rules = {r["rule"]: r for r in data["rules"]}
    funnel_rows = [[label, n, f"{100 * n / max(f['records_in'], 1):.1f}%"] for label, n, _ in funnel_steps(f)]
    dd = data["dedup"]
    conditions = {key: _rule_condition(r) for key, r in rules.items()}
    conditions["dedup:exact_duplicate"] = "same SHA-256 of normalised text as its cluster's survivor"
    conditions["dedup:near_duplicate"] = (f"MinHash-LSH ({dd['bands']} bands x {dd['rows']} rows) linked it to its "
                                          f"cluster, {_verified_jaccard(dd)} >= {_fmt(dd['verify_threshold'])}")
    drop_rows = [[d["stage"], d["reason"], d["count"], conditions.get(d["reason"], "")] for d in data["rule_drops"]]
    version_rows = [[name, v, data["table_paths"][name]] for name, v in data["versions"].items()]
    quarantine_rows = [[reason, n] for reason, n in data["quarantine"].items()]
    threshold_rows = [[r["rule"], _rule_condition(r), _overrides_text(r["per_language"])] for r in data["rules"]]

    def img(name: str, alt: str) -> str:
        return f'<img src="{html.escape(pngs[name].name)}" alt="{html.escape(alt)}">' if name in pngs else ""

    run = data.get("run")
    run_html = ("<h2>This run</h2><pre>" + html.escape("\n".join(run["lines"])) + "</pre>") if run else ""
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>ETL run report</title><style>{HTML_STYLE}</style>"
        "</head><body>",
        "<h1>Common Crawl WET ETL: run report</h1>",
        f"<p>Lake <code>{html.escape(data['lake'])}</code>, generated {html.escape(data['generated_at'])}. Counts "
        "are lake-wide, read from the Delta tables at the versions listed below.</p>",
        "<h2>Funnel</h2>", img(PNG_FUNNEL, "funnel"), _html_table(["step", "records", "of records in"], funnel_rows),
        "<h2>Drops per rule</h2><p>Each dropped document is counted once, under the first rule that fired "
        "(from <code>gold/rejections</code>).</p>",
        _html_table(["stage", "reason", "documents", "drops when"], drop_rows),
        "<h2>Languages</h2>", img(PNG_LANGUAGES, "languages"),
        "<h2>Signals and thresholds</h2>", img(PNG_SIGNALS, "signal histograms"),
        _html_table(["rule", "drops when", "per-language thresholds"], threshold_rows),
        "<h2>Toxicity tiers</h2>", img(PNG_TOXICITY, "toxicity tiers"),
        "<h2>Duplicate clusters</h2>", img(PNG_CLUSTERS, "cluster sizes"),
        _html_table(["cluster size", "clusters"], [[k, v] for k, v in data["clusters"]["sizes"].items()]),
        "<h2>Quarantine</h2>", _html_table(["reason", "records"], quarantine_rows),
        run_html,
        "<h2>Table versions</h2>", _html_table(["table", "Delta version", "path"], version_rows),
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p)


def _md_table(header: list[str], rows: list[list]) -> list[str]:
    if not rows:
        return ["_none_", ""]
    cells = [[_fmt(c).replace("|", "\\|") for c in r] for r in rows]
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header), *["| " + " | ".join(r) + " |" for r in cells],
            ""]


def _share(n: int, total: int) -> str:
    return f"{100 * n / total:.1f}%" if total else "-"


def render_card(data: dict) -> str:
    """DATASET_CARD.md for gold/documents: what is in it, how it was filtered and deduplicated, which version."""
    f, v, paths, d = data["funnel"], data["versions"], data["table_paths"], data["dedup"]
    drops = {r["reason"]: r["count"] for r in data["rule_drops"]}
    gold_version = v.get(GOLD_DOCUMENTS)
    lines = [
        "# Dataset card: gold/documents", "",
        "Clean, deduplicated, language-tagged text from Common Crawl WET files: one row per kept document. "
        "Built by the `etl` package (bronze -> silver -> gold Delta tables); every dropped document is listed with "
        "its reason in `gold/rejections`, every removed duplicate with its survivor in `gold/duplicates`.", "",
        f"Generated {data['generated_at']} from the lake `{data['lake']}`.", "",
        "## Snapshot (Delta versions)", "",
        "The numbers in this card describe these table versions:", "",
        *_md_table(["table", "Delta version", "path"],
                   [[name, ver if ver is not None else "absent", paths[name]] for name, ver in v.items()]),
        "Read exactly this snapshot later with Delta time travel:", "",
        "```python",
        (f'spark.read.format("delta").option("versionAsOf", {gold_version}).load("{paths[GOLD_DOCUMENTS]}")'
         if gold_version is not None else "# gold/documents does not exist yet: run a refresh first"),
        "```", "",
        "## Size", "",
        *_md_table(["step", "records"], [[label, n] for label, n, _ in funnel_steps(f)]),
        "## Languages (gold)", "",
        *_md_table(["language", "documents", "share"],
                   [[lang, n, _share(n, f["kept"])] for lang, n in data["languages"]["gold"].items()]),
        "## Toxicity tiers (gold)", "",
        *_md_table(["tier", "documents"], list(data["toxicity"]["gold"].items())),
        "## Filters", "",
        "Rules run in this order; a document is dropped by the first rule whose condition holds, and that rule is "
        "its `reason` in `gold/rejections`. A null signal never drops. Per-language thresholds replace the global "
        f"one for documents of that language; `{ANY_OTHER_LANGUAGE}` means any detected language not listed."
        + (f" Language profile: {', '.join(data['language_profile'])}." if data["language_profile"] else ""), "",
        *_md_table(["rule", "drops when (global threshold)", "per-language thresholds", "dropped (first failing rule)"],
                   [[r["rule"], _rule_condition(r), _overrides_text(r["per_language"]), drops.get(r["rule"], 0)]
                    for r in data["rules"]]),
        "## Deduplication", "",
        f"- Exact: {'on' if d['exact_enabled'] else 'off'}; documents with the same SHA-256 of their normalised "
        f"text form one cluster ({f['exact_duplicates']:,} removed).",
        f"- Near: {'on' if d['near_enabled'] else 'off'}; MinHash with {d['num_perm']} permutations (seed "
        f"{d['seed']}) over {d['ngram']}-gram shingles ({d['kind']} n-grams), LSH with {d['bands']} bands x "
        f"{d['rows']} rows tuned for Jaccard {d['threshold']:g}; candidate pairs are kept when their "
        f"{_verified_jaccard(d)} is >= {_fmt(d['verify_threshold'])}, and clusters are the connected components "
        f"({f['near_duplicates']:,} removed).",
        f"- Survivor rule: in each cluster the first document by {', '.join(d['survivor_order'])} "
        "(doc_id breaks any tie) is kept; the others are removed.",
        f"- Clusters: {data['clusters']['clusters']:,}"
        + (" (" + ", ".join(f"{n:,} of size {size}" for size, n in data["clusters"]["sizes"].items()) + ")"
           if data["clusters"]["sizes"] else "") + ".", "",
        "## Columns", "",
        ", ".join(f"`{c}`" for c in data["gold_columns"]), "",
        "## Quarantined input", "",
        *_md_table(["reason", "records"], list(data["quarantine"].items())),
        "## License and use", "",
        "Text comes from Common Crawl; its use is subject to the Common Crawl Terms of Use and the rights of the "
        "original publishers.", "",
    ]
    return "\n".join(lines)


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
