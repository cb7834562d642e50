"""How the report writes a number or a share, the same in the HTML page and the dataset card."""

from __future__ import annotations


def fmt(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:g}"
    return "-" if value is None else str(value)


def share(n: int, total: int) -> str:
    return f"{100 * n / total:.1f}%" if total else "-"


def run_table(runs: list[dict]) -> tuple[list[str], list[list]]:
    """(header, rows) of the run history: one row per refresh, rows read and seconds per stage, total seconds."""
    stages = list(dict.fromkeys(stage for run in runs for stage in run["stages"]))
    header = ["run", "finished (UTC)", *[f"{s} rows in" for s in stages], *[f"{s} s" for s in stages], "total s"]
    rows = []
    for run in runs:
        per = [run["stages"].get(s, {}) for s in stages]
        seconds = [p.get("seconds") for p in per]
        rows.append([run["run_id"], run["finished_at"], *[p.get("rows_in") for p in per],
                     *[round(s, 1) if s is not None else None for s in seconds],
                     round(sum(s or 0.0 for s in seconds), 1)])
    return header, rows


DOMAIN_HEADS = (("topic", "Topics"), ("format", "Formats"))
DOMAIN_NOTE = ("Topic and format per kept document (WebOrganizer's taxonomy; silver's `topic`, `format` and their "
               "scores; docs/labels.md gives the model's measured accuracy, well below its targets: treat these as a "
               "coarse first cut). `export --where \"topic = 'Health'\"` writes one label; `gold.extra_rules` can drop "
               "by one.")


def domain_table(rows: list[dict], total: int) -> tuple[list[str], list[list]]:
    """(header, rows) of one label head: documents, share of gold, documents per language, example URLs."""
    header = ["label", "documents", "of gold", "per language", "examples"]
    return header, [[r["label"], r["documents"], share(r["documents"], total),
                     ", ".join(f"{lang} {n:,}" for lang, n in sorted(r["by_language"].items(), key=lambda kv: -kv[1])),
                     " ".join(r["examples"])] for r in rows]
