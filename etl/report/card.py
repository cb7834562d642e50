"""DATASET_CARD.md for gold/documents: what is in it, how it was filtered and deduplicated, which Delta version."""

from __future__ import annotations

from etl.config import MODEL_RULE_OFF, MODEL_SCORE_RULE
from etl.table_specs import GOLD_DOCUMENTS
from etl.catalog import ANY_LANGUAGE
from etl.report.charts import funnel_steps
from etl.report.privacy import decontamination_rows, decontamination_text, pii_rows, pii_text
from etl.report.rules import overrides_text, rule_condition, verified_jaccard
from etl.report.text import DOMAIN_HEADS, DOMAIN_NOTE, domain_table, fmt, run_table, share
from etl.models.windows import MODEL_MAX_WINDOWS, WINDOW_MAX_CHARS

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


def _privacy(p: dict | None) -> list[str]:
    """Personal data redacted per kind and documents removed per benchmark, with example URLs."""
    if not p:
        return []
    return ["## Personal data and benchmark decontamination", "", pii_text(p), "",
            *md_table(["kind", "documents redacted", "example URLs"], pii_rows(p)),
            decontamination_text(p), "",
            *md_table(["benchmark", "action", "documents", "example URLs"], decontamination_rows(p))]


def _domains(d: dict | None, kept: int) -> list[str]:
    """Topic and format distribution of gold, per language, with example URLs."""
    if not d:
        return []
    out = ["## Topics and formats", "", DOMAIN_NOTE, ""]
    for head, title in DOMAIN_HEADS:
        if d.get(head):
            out += [f"### {title}", "", *md_table(*domain_table(d[head], kept))]
    return out


def _tokens(counts: dict | None) -> list[str]:
    """gold's documents, words and tokens, with the tokenizer that counted them (export.tokenizer)."""
    if not counts:
        return []
    which = (f"tokenizer `{counts['tokenizer']}` (sha256 `{counts['tokenizer_sha256'][:12]}`; `export.tokenizer`)"
             if counts["tokenizer_sha256"] else "regex `\\w+` words, not a model tokenizer (`export.tokenizer`)")
    return [f"gold/documents holds {counts['documents']:,} documents, {counts['words']:,} words and "
            f"**{counts['tokens']:,} tokens** counted by {which}; `export` writes the same counts per document "
            "(`metadata.token_count`), per file and in total to its manifest.json.", ""]


def _toxicity_model(facts: dict | None, rules: list[dict]) -> list[str]:
    """What scored tox_model_score: the shipped model or the user's, its training sets with their licences, its
    validation figures, whether gold drops on it, and its limits (docs/toxicity.md has the measurements)."""
    lines = ["## Toxicity classifier", ""]
    if facts is None:
        return lines + ["Off for this run (`silver.toxicity_model_path`): `tox_model_score` is null.", ""]
    rule = next((r for r in rules if r["rule"] == MODEL_SCORE_RULE), None)
    thresholds = [] if rule is None else [rule["threshold"], *rule["per_language"].values()]
    drops = any(t is not None and t < MODEL_RULE_OFF for t in thresholds)
    which = ("the model shipped in the package (`etl/resources/toxicity_model`, rebuilt by `make model`)"
             if facts["bundled"] else f"`{facts['source']}`")
    size = f", {facts['size_bytes'] / 1e6:.1f} MB" if "size_bytes" in facts else ""
    lines += [f"`tox_model_score` is the highest probability over the text's windows (at most "
              f"{WINDOW_MAX_CHARS:,} characters each, the first {MODEL_MAX_WINDOWS}) of {which}{size}: character "
              "n-grams and words, hashed, TF-IDF, logistic regression. "
              + ("Gold drops on it (rule `toxicity:model_score`, thresholds in the filter table)." if drops else
                 "Gold stores it and does not drop on it (`gold.bundled_model_rule` turns that on); gold drops on "
                 "the lexicon tier of the worst sentence."), ""]
    if facts.get("datasets"):
        validation = facts.get("validation", {})
        lines += ["Trained on (licences as their sources state them; the model holds weights, not the texts), "
                  "with its figures on each set's held-out validation rows:", "",
                  *md_table(["dataset", "language", "licence", "validation AUC", "validation macro-F1"],
                            [[d["name"], d["language"] or "", d["licence"],
                              validation.get(d["name"], {}).get("roc_auc"),
                              validation.get(d["name"], {}).get("macro_f1")] for d in facts["datasets"]])]
    lines += ["Limits: on sets it never saw, AUC falls to about 0.6-0.8 (docs/toxicity.md, leave one dataset out); "
              "languages it was not trained on get scores near its threshold; it does not tell a mention of a "
              "group from an attack (HateCheck's non-hateful cases are flagged about as often as the hateful "
              "ones), which is why gold does not drop on the shipped model by default.", "",
              "Silver also stores the five Toxicity-of-the-Commons dimensions from models shipped beside it "
              "(`tox_model_race_origin`, `tox_model_gender_sex`, `tox_model_religion`, `tox_model_ability`, "
              "`tox_model_violence`, levels 0..3 over the same windows, and `tox_model_tier`). Their figures on "
              "datasets they never saw are weak (AUC about 0.5-0.76; docs/toxicity.md), so gold does not use them.",
              "",
              "`tox_embed_score` is a second, multilingual score: a logistic regression on the text's first window "
              "embedded by Google's Universal Sentence Encoder multilingual v3 (Apache-2.0), trained on the same "
              "sets. It ranks sets and languages it never saw better than the n-gram classifier, but reads only the "
              "first window; gold stores it and does not drop on it (its figures: docs/toxicity.md).", ""]
    return lines


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
        *_tokens(data.get("text_counts")),
        "## Languages (gold)", "",
        *md_table(["language", "documents", "share"],
                  [[lang, n, share(n, f["kept"])] for lang, n in data["languages"]["gold"].items()]),
        "## Toxicity tiers (gold)", "",
        *md_table(["tier", "documents"], list(data["toxicity"]["gold"].items())),
        *_toxicity_model(data.get("toxicity_model"), data["rules"]),
        "## Subsets", "",
        "Boolean columns of gold/documents, derived from silver's code, math and Q&A signals with these thresholds "
        "(`gold.subset_thresholds` changes one; `export --subset <name>` writes one subset):", "",
        *md_table(["column", "subset", "documents", "share", "flagged when", "examples"],
                  [[s["column"], s["description"], s["documents"], share(s["documents"], f["kept"]), s["condition"],
                    ", ".join(s["examples"])] for s in data.get("subsets", [])]),
        *_domains(data.get("domains"), f["kept"]),
        "## Filters", "",
        "Rules run in this order; a document is dropped by the first rule whose condition holds, and that rule is "
        "its `reason` in `gold/rejections`. A null signal never drops. Per-language thresholds replace the global "
        f"one for documents of that language; `{ANY_LANGUAGE}` means any detected language not listed."
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
        *_privacy(data.get("privacy")),
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
