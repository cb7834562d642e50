"""DATASET_CARD.md for gold/documents: what is in it, how it was filtered and deduplicated, which Delta version."""

from __future__ import annotations

from etl.gold.build import GOLD_DOCUMENTS
from etl.gold.decisions import ANY_OTHER_LANGUAGE
from etl.report.charts import funnel_steps
from etl.report.rules import overrides_text, rule_condition, verified_jaccard
from etl.report.text import fmt, run_table, share

CARD_RUNS = 10  # the card lists this many recent refreshes; the HTML report has the full history chart


def md_table(header: list[str], rows: list[list]) -> list[str]:
    if not rows:
        return ["_none_", ""]
    cells = [[fmt(c).replace("|", "\\|") for c in r] for r in rows]
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header), *["| " + " | ".join(r) + " |" for r in cells],
            ""]


def _refreshes(runs: list[dict]) -> list[str]:
    """The recent refreshes as a table, only when there is a history to compare (more than one run)."""
    if len(runs) <= 1:
        return []
    return ["## Refreshes", "",
            f"The last {min(len(runs), CARD_RUNS)} of {len(runs)} recorded refreshes (`_runs`), oldest first:", "",
            *md_table(*run_table(runs[-CARD_RUNS:]))]


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
        *md_table(["table", "Delta version", "path"],
                  [[name, ver if ver is not None else "absent", paths[name]] for name, ver in v.items()]),
        "Read exactly this snapshot later with Delta time travel:", "",
        "```python",
        (f'spark.read.format("delta").option("versionAsOf", {gold_version}).load("{paths[GOLD_DOCUMENTS]}")'
         if gold_version is not None else "# gold/documents does not exist yet: run a refresh first"),
        "```", "",
        "## Size", "",
        *md_table(["step", "records"], [[label, n] for label, n, _ in funnel_steps(f)]),
        "## Languages (gold)", "",
        *md_table(["language", "documents", "share"],
                  [[lang, n, share(n, f["kept"])] for lang, n in data["languages"]["gold"].items()]),
        "## Toxicity tiers (gold)", "",
        *md_table(["tier", "documents"], list(data["toxicity"]["gold"].items())),
        "## Filters", "",
        "Rules run in this order; a document is dropped by the first rule whose condition holds, and that rule is "
        "its `reason` in `gold/rejections`. A null signal never drops. Per-language thresholds replace the global "
        f"one for documents of that language; `{ANY_OTHER_LANGUAGE}` means any detected language not listed."
        + (f" Language profile: {', '.join(data['language_profile'])}." if data["language_profile"] else ""), "",
        *md_table(["rule", "drops when (global threshold)", "per-language thresholds", "dropped (first failing rule)"],
                  [[r["rule"], rule_condition(r), overrides_text(r["per_language"]), drops.get(r["rule"], 0)]
                   for r in data["rules"]]),
        "## Deduplication", "",
        f"- Exact: {'on' if d['exact_enabled'] else 'off'}; documents with the same SHA-256 of their normalised "
        f"text form one cluster ({f['exact_duplicates']:,} removed).",
        f"- Near: {'on' if d['near_enabled'] else 'off'}; MinHash with {d['num_perm']} permutations (seed "
        f"{d['seed']}) over {d['ngram']}-gram shingles ({d['kind']} n-grams), LSH with {d['bands']} bands x "
        f"{d['rows']} rows tuned for Jaccard {d['threshold']:g}; candidate pairs are kept when their "
        f"{verified_jaccard(d)} is >= {fmt(d['verify_threshold'])}, and clusters are the connected components "
        f"({f['near_duplicates']:,} removed).",
        f"- Survivor rule: in each cluster the first document by {', '.join(d['survivor_order'])} "
        "(doc_id breaks any tie) is kept; the others are removed.",
        f"- Clusters: {data['clusters']['clusters']:,}"
        + (" (" + ", ".join(f"{n:,} of size {size}" for size, n in data["clusters"]["sizes"].items()) + ")"
           if data["clusters"]["sizes"] else "") + ".", "",
        "## Columns", "",
        ", ".join(f"`{c}`" for c in data["gold_columns"]), "",
        "## Quarantined input", "",
        *md_table(["reason", "records"], list(data["quarantine"].items())),
        *_refreshes(data.get("runs", [])),
        "## License and use", "",
        "Text comes from Common Crawl; its use is subject to the Common Crawl Terms of Use and the rights of the "
        "original publishers.", "",
    ]
    return "\n".join(lines)
