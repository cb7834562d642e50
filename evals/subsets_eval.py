"""Precision and recall of the code, math and Q&A subsets on hand-labelled real documents (evals/data).

Each labelled document is read from ../shared/data (checked against its stored SHA-1), normalised as silver does,
scored with etl.silver.subsets and flagged with the catalog's default thresholds (etl.catalog.SUBSETS): exactly the
path gold takes. Reported per subset overall, on the web pages alone (OSCAR's WET records and the CORE pages, without
the benchmark positives) and per source, with the cost of the signals in microseconds per document. Skips cleanly
without ../shared/data.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import time
from pathlib import Path

from etl.catalog import SUBSETS
from etl.models.normalize import normalize_text
from etl.silver.subsets import subset_signals

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
LABELS = ROOT / "evals" / "data" / "subsets_labelled.jsonl"
SHA1_DIGITS = 12
WEB_SOURCES = ("oscar", "core_fr_test", "core_sv_test")
CORE_FILES = {"core_fr_test": "web_registers_core_fr_sv/FrCORE/test.tsv",
              "core_sv_test": "web_registers_core_fr_sv/SvCORE/test.tsv"}
TIMING_ROUNDS = 3


def _source_texts() -> dict[str, list[str]]:
    """Every source's raw texts, by locator (line or record number)."""
    texts = {"oscar": [json.loads(line)["content"] for line in
                       (SHARED / "cc_wet_records_2021_oscar_jsonl/oscar_22.01_sample_63docs.jsonl").open(
                           encoding="utf-8")]}
    for source, path in CORE_FILES.items():
        texts[source] = [line.rstrip("\n").partition("\t")[2] for line in (SHARED / path).open(encoding="utf-8")]
    texts["gsm8k"] = [f"{row['question']}\n{row['answer']}" for row in map(
        json.loads, (SHARED / "benchmarks_decontamination/gsm8k/test.jsonl").open(encoding="utf-8"))]
    with gzip.open(SHARED / "benchmarks_decontamination/humaneval/HumanEval.jsonl.gz", "rt", encoding="utf-8") as fh:
        texts["humaneval"] = [row["prompt"] + row["canonical_solution"] for row in map(json.loads, fh)]
    return texts


def load_labelled() -> list[dict]:
    """The labelled rows with their normalised text; a text whose SHA-1 changed is an error, not a silent skip."""
    texts = _source_texts()
    rows = [json.loads(line) for line in LABELS.open(encoding="utf-8")]
    for row in rows:
        raw = texts[row["source"]][row["locator"]]
        digest = hashlib.sha1(raw.encode("utf-8")).hexdigest()[:SHA1_DIGITS]
        if digest != row["sha1"]:
            raise ValueError(f"{row['source']}:{row['locator']}: text changed (sha1 {digest} != {row['sha1']})")
        row["text"] = normalize_text(raw)
    return rows


def _metrics(pairs: list[tuple[bool, bool]]) -> dict:
    """(truth, predicted) pairs -> counts, precision, recall, F1 (None where undefined)."""
    tp = sum(t and p for t, p in pairs)
    fp = sum(p and not t for t, p in pairs)
    fn = sum(t and not p for t, p in pairs)
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = 2 * precision * recall / (precision + recall) if precision and recall else None
    return {"documents": len(pairs), "positives": tp + fn, "predicted": tp + fp, "tp": tp, "fp": fp, "fn": fn,
            "precision": _round(precision), "recall": _round(recall), "f1": _round(f1)}


def _round(x: float | None) -> float | None:
    return round(x, 3) if x is not None else None


def run() -> dict:
    if not SHARED.is_dir():
        return {"skipped": f"{SHARED} not found"}
    rows = load_labelled()
    t0 = time.perf_counter()
    for _ in range(TIMING_ROUNDS):
        signals = [subset_signals(row["text"]) for row in rows]
    seconds = (time.perf_counter() - t0) / TIMING_ROUNDS
    for row, sig in zip(rows, signals):
        row["predicted"] = {s.name for s in SUBSETS if s.holds({**sig, "n_chars": len(row["text"])})}
    out: dict = {"labelled_documents": len(rows), "labels": str(LABELS.relative_to(ROOT)),
                 "signal_us_per_document": round(1e6 * seconds / len(rows), 1),
                 "mean_chars_per_document": round(sum(len(r["text"]) for r in rows) / len(rows)),
                 "thresholds": {s.name: s.condition_text() for s in SUBSETS}}
    for subset in SUBSETS:
        def pairs(selected):
            return [(bool(r[subset.name]), subset.name in r["predicted"]) for r in selected]

        out[subset.name] = {
            "all": _metrics(pairs(rows)),
            "web_pages_only": _metrics(pairs([r for r in rows if r["source"] in WEB_SOURCES])),
            "by_source": {src: _metrics(pairs([r for r in rows if r["source"] == src]))
                          for src in dict.fromkeys(r["source"] for r in rows)},
            "errors": [f"{'FP' if subset.name in r['predicted'] else 'FN'} {r['source']}:{r['locator']} {r['ref']}"
                       for r in rows if bool(r[subset.name]) != (subset.name in r["predicted"])],
        }
    return out


if __name__ == "__main__":
    result = run()
    print(json.dumps({k: v for k, v in result.items()}, indent=1, ensure_ascii=False)[:6000])
