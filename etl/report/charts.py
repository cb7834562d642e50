"""The report's charts: matplotlib Figures rendered to PNG, from the figures collected by etl.report.figures.

Figure + Agg canvas, never pyplot: no global state, so charts are safe in notebooks and threads.
"""

from __future__ import annotations

import math
from pathlib import Path

from etl.catalog import TOXICITY_TIERS

PNG_FUNNEL, PNG_LANGUAGES, PNG_SIGNALS = "funnel.png", "languages.png", "signals.png"
PNG_TOXICITY, PNG_CLUSTERS, PNG_RUNS = "toxicity.png", "clusters.png", "runs.png"
TOP_LANGUAGES = 15  # the rest is summed into "other" so the chart stays readable
DPI = 110
# Colours: what comes in, what is dropped, what is kept, and the drop side of a threshold.
COLOR_IN, COLOR_DROP, COLOR_DEDUP, COLOR_KEPT = "#4c72b0", "#c44e52", "#dd8452", "#55a868"
COLOR_SILVER, COLOR_GOLD = "#8c8c8c", "#d4a017"
STAGE_COLORS = {"bronze": "#a0522d", "silver": COLOR_SILVER, "gold": COLOR_GOLD}
TIER_ORDER = TOXICITY_TIERS
RUN_LABEL_CHARS = 15  # run ids start with their UTC start time (20261130T004613Z): enough to tell runs apart


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


def run_stages(runs: list[dict]) -> list[str]:
    """Every stage any of these runs recorded, in the order the runs list them."""
    return list(dict.fromkeys(stage for run in runs for stage in run["stages"]))


def plot_runs(runs: list[dict]):
    """Across refreshes (oldest left): seconds per stage, stacked, above the rows each stage read."""
    fig = _figure(9, 6)
    top, bottom = fig.subplots(2, 1, sharex=True)
    if not runs:
        for ax in (top, bottom):
            _no_data(ax, "no refresh recorded in _runs")
        return fig
    xs = range(len(runs))
    stages = run_stages(runs)
    base = [0.0] * len(runs)
    for stage in stages:
        secs = [float(run["stages"].get(stage, {}).get("seconds") or 0.0) for run in runs]
        top.bar(xs, secs, bottom=base, color=STAGE_COLORS.get(stage), label=stage)
        base = [b + s for b, s in zip(base, secs)]
    top.set_ylabel("seconds")
    top.set_title(f"Refreshes: time per stage ({len(runs)} run(s), from _runs)")
    top.legend(fontsize=8, loc="upper left")
    for i, stage in enumerate(stages):
        rows = [run["stages"].get(stage, {}).get("rows_in") for run in runs]
        # Stages often read the same rows: markers shrink stage by stage so coinciding points stay visible.
        bottom.plot(xs, [r if r is not None else math.nan for r in rows], marker="o", linewidth=1.2,
                    markersize=max(9 - 2 * i, 3), color=STAGE_COLORS.get(stage), label=stage)
    bottom.set_ylim(bottom=0)
    bottom.set_ylabel("rows in")
    bottom.set_title("Rows each stage read per refresh", fontsize=10)
    bottom.yaxis.get_major_locator().set_params(integer=True)
    bottom.legend(fontsize=8, loc="upper left")
    bottom.set_xticks(list(xs), [run["run_id"][:RUN_LABEL_CHARS] for run in runs], rotation=45, ha="right",
                      fontsize=8)
    return fig


def save_charts(data: dict, out_dir: Path) -> dict[str, Path]:
    """Render every chart to PNG under out_dir; {file name: path}."""
    charts = {
        PNG_FUNNEL: plot_funnel(data["funnel"]),
        PNG_LANGUAGES: plot_languages(data["languages"]),
        PNG_SIGNALS: plot_signal_histograms(data["histograms"]),
        PNG_TOXICITY: plot_toxicity(data["toxicity"]),
        PNG_CLUSTERS: plot_clusters(data["clusters"]),
        PNG_RUNS: plot_runs(data.get("runs", [])),
    }
    paths = {}
    for name, fig in charts.items():
        paths[name] = out_dir / name
        fig.savefig(paths[name], dpi=DPI)
    return paths
