"""Topic and format labels (WebOrganizer's taxonomy) scored against a held-out, hand-labelled set of real web pages.

The labels are in evals/data/domains_heldout.jsonl (308 documents, en/de/es/fr/ru/zh/sv; provenance, selection rule
and labelling guide in evals/data/DOMAINS_HELDOUT.md). The texts are not copied there: they are reloaded here from
their sources and checked against the stored SHA-1, so a changed source is an error, not a silent skip:

- ``oscar``: ../shared/data/cc_wet_records_2021_oscar_jsonl/oscar_22.01_sample_63docs.jsonl, locator = line number
  (0-based), text = the line's ``content``;
- ``wet2016``: data/sample/CC-MAIN-2016-50-truncated-download.wet.gz, locator = WARC-Record-ID of one of the 15
  complete conversion records, text = the payload decoded as UTF-8 (errors replaced);
- ``core_fr_test`` / ``core_sv_test``: ../shared/data/web_registers_core_fr_sv/{FrCORE,SvCORE}/test.tsv, locator =
  row number (0-based), text = everything after the first tab.

``evaluate(predict)`` calls ``predict(texts, langs) -> [(topic, format), ...]`` once over all documents and returns
per-label precision/recall/F1, macro-F1 and accuracy for topics and formats (overall, per language, per source), the
agreement of the predicted format with the human CORE register through CORE_REGISTER_FORMATS (per language), and the
same figures for a trivial baseline that always answers the most frequent label. Without ../shared/data it returns
``{"skipped": reason}``. None of these documents may be used for seeds, self-training or tuning of the classifier.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Callable, Sequence

from etl.catalog import DOMAIN_FORMATS, DOMAIN_TOPICS

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
LABELS = ROOT / "evals" / "data" / "domains_heldout.jsonl"
WET_2016 = ROOT / "data" / "sample" / "CC-MAIN-2016-50-truncated-download.wet.gz"
OSCAR_FILE = "cc_wet_records_2021_oscar_jsonl/oscar_22.01_sample_63docs.jsonl"
CORE_FILES = {"core_fr_test": "web_registers_core_fr_sv/FrCORE/test.tsv",
              "core_sv_test": "web_registers_core_fr_sv/SvCORE/test.tsv"}
SOURCES = ("oscar", "wet2016", *CORE_FILES)

# WebOrganizer (Wettig et al., 2025, "Organize the Web"): 24 topics and 24 formats, exactly as published.
TOPICS, FORMATS = DOMAIN_TOPICS, DOMAIN_FORMATS  # the taxonomy the labels use (etl.catalog)

# CORE main register -> the WebOrganizer formats that are consistent with it. A CORE page can carry two registers
# (e.g. "NA IN"); a predicted format agrees when it is allowed by any of them. "Truncated" agrees with no register:
# CORE annotators labelled what the text is, so calling it a fragment is a disagreement.
CORE_REGISTER_FORMATS: dict[str, frozenset[str]] = {
    "NA": frozenset({"News Article", "News (Organization)", "Personal Blog", "Nonfiction Writing",
                     "Creative Writing"}),  # narrative: news, reports, stories, narrative blogs
    "IN": frozenset({"Knowledge Article", "Academic Writing", "Documentation", "Structured Data", "Legal Notices",
                     "FAQ", "About Page (Organization)", "About Page (Personal)"}),  # informational description
    "OP": frozenset({"Nonfiction Writing", "Personal Blog", "User Review", "Comment Section"}),  # opinion, reviews
    "ID": frozenset({"Comment Section", "Q&A Forum", "FAQ"}),  # interactive discussion
    "HI": frozenset({"Tutorial", "Documentation", "FAQ", "Customer Support"}),  # how-to / instructional
    "IP": frozenset({"Product Page", "About Page (Organization)", "Spam / Ads", "News (Organization)",
                     "Customer Support"}),  # informational persuasion: marketing, descriptions meant to sell
    "SP": frozenset({"Audio Transcript"}),  # spoken: interviews, speeches, transcripts
    "LY": frozenset({"Creative Writing"}),  # lyrical: songs, poems
}

# Formats that describe a page's shape rather than its register (a list of teasers, a cut-off fragment): CORE
# annotators gave such pages the register of their content, so agreement is also reported on the pages whose *human*
# format is not one of these (chosen by the gold label, so a classifier cannot move pages in or out of the subset).
STRUCTURAL_FORMATS = frozenset({"Content Listing", "Truncated"})

TARGETS = {"topic_accuracy": 0.70, "format_accuracy": 0.60}

Predict = Callable[[list, list], Sequence]


def load_labels() -> list[dict]:
    """The labelled rows (no text); needs nothing but the repository."""
    return [json.loads(line) for line in LABELS.open(encoding="utf-8") if line.strip()]


def _wet_2016_texts() -> dict[str, str]:
    from etl.io.warc import Record, WarcReader

    with WET_2016.open("rb") as fh:
        return {item.headers["warc-record-id"]: item.payload.decode("utf-8", "replace")
                for item in WarcReader(fh) if isinstance(item, Record) and item.type == "conversion"}


def _source_texts(shared: Path) -> dict[str, object]:
    texts: dict[str, object] = {
        "oscar": [json.loads(line)["content"] for line in (shared / OSCAR_FILE).open(encoding="utf-8")],
        "wet2016": _wet_2016_texts(),
    }
    for source, path in CORE_FILES.items():
        texts[source] = [line.rstrip("\n").partition("\t")[2] for line in (shared / path).open(encoding="utf-8")]
    return texts


def load_heldout(shared: Path | None = None) -> list[dict]:
    """The labelled rows with their raw text under "text"; ValueError when a source text changed."""
    texts = _source_texts(shared or SHARED)
    rows = load_labels()
    for row in rows:
        raw = texts[row["source"]][row["locator"]]
        digest = hashlib.sha1(raw.encode("utf-8")).hexdigest()
        if digest != row["text_sha1"]:
            raise ValueError(f"{row['id']}: text changed (sha1 {digest} != {row['text_sha1']})")
        row["text"] = raw
    return rows


def heldout_record_ids(shared: Path | None = None) -> set[str]:
    """WARC-Record-IDs of the held-out WET records (the 63 OSCAR records, which data/sample's
    CC-MAIN-2021-39-oscar63.warc.wet.gz carries under their original ids, and the 15 CC-MAIN-2016-50 records), for a
    training job to exclude them from seeds and self-training. CORE rows have no record id: exclude FrCORE/SvCORE
    test.tsv rows by the locators in the labels file (or simply never train on test.tsv)."""
    ids = {r["locator"] for r in load_labels() if r["source"] == "wet2016"}
    path = (shared or SHARED) / OSCAR_FILE
    if path.is_file():
        ids |= {json.loads(line)["warc_headers"]["warc-record-id"] for line in path.open(encoding="utf-8")}
    return ids


def _round(x: float | None) -> float | None:
    return round(x, 4) if x is not None else None


def label_metrics(truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> dict:
    """Accuracy, macro-F1 over the labels present in `truth`, and per-label counts/precision/recall/F1.

    Labels that are predicted but absent from the truth are listed (their precision is 0) but do not enter the
    macro average, so the macro-F1 of a set is comparable between classifiers."""
    n = len(truth)
    per_label: dict[str, dict] = {}
    f1s = []
    for label in labels:
        tp = sum(t == label and p == label for t, p in zip(truth, predicted))
        support = sum(t == label for t in truth)
        n_pred = sum(p == label for p in predicted)
        if not support and not n_pred:
            continue
        precision = tp / n_pred if n_pred else None
        recall = tp / support if support else None
        f1 = 2 * precision * recall / (precision + recall) if precision and recall else 0.0
        per_label[label] = {"support": support, "predicted": n_pred, "tp": tp, "precision": _round(precision),
                            "recall": _round(recall), "f1": _round(f1) if support else None}
        if support:
            f1s.append(f1)
    correct = sum(t == p for t, p in zip(truth, predicted))
    return {"documents": n, "correct": correct, "accuracy": _round(correct / n) if n else None,
            "macro_f1": _round(sum(f1s) / len(f1s)) if f1s else None, "labels_in_truth": len(f1s),
            "per_label": per_label}


def core_agreement(rows: Sequence[dict], formats: Sequence[str]) -> dict:
    """Share of CORE pages whose format agrees with their human register via CORE_REGISTER_FORMATS, per language
    (all CORE pages, and those whose human format is not in STRUCTURAL_FORMATS) and per register combination."""
    by_lang: dict[str, list[bool]] = {}
    by_lang_content: dict[str, list[bool]] = {}
    by_register: dict[str, list[bool]] = {}
    for row, fmt in zip(rows, formats):
        registers = (row.get("core_register") or "").split()
        if not registers:
            continue
        ok = any(fmt in CORE_REGISTER_FORMATS.get(reg, ()) for reg in registers)
        by_lang.setdefault(row["lang"], []).append(ok)
        if row["format"] not in STRUCTURAL_FORMATS:
            by_lang_content.setdefault(row["lang"], []).append(ok)
        by_register.setdefault(" ".join(registers), []).append(ok)

    def share(flags: list[bool]) -> dict:
        return {"documents": len(flags), "agree": sum(flags), "agreement": _round(sum(flags) / len(flags))}

    return {"per_language": {lang: share(f) for lang, f in sorted(by_lang.items())},
            "per_language_non_structural_pages": {lang: share(f) for lang, f in sorted(by_lang_content.items())},
            "per_register": {reg: share(f) for reg, f in sorted(by_register.items())}}


def _score(rows: Sequence[dict], pairs: Sequence[tuple[str, str]]) -> dict:
    topics_t = [r["topic"] for r in rows]
    formats_t = [r["format"] for r in rows]
    topics_p = [p[0] for p in pairs]
    formats_p = [p[1] for p in pairs]
    out = {
        "topic": label_metrics(topics_t, topics_p, TOPICS),
        "format": label_metrics(formats_t, formats_p, FORMATS),
        "invalid_predictions": {"topic": sum(t not in TOPICS for t in topics_p),
                                "format": sum(f not in FORMATS for f in formats_p)},
        "core_register_agreement": core_agreement(rows, formats_p),
    }
    for key, field in (("per_language", "lang"), ("per_source", "source")):
        groups: dict[str, list[int]] = {}
        for i, row in enumerate(rows):
            groups.setdefault(row[field], []).append(i)
        out[key] = {
            g: {"documents": len(ix),
                "topic_accuracy": _round(sum(topics_t[i] == topics_p[i] for i in ix) / len(ix)),
                "format_accuracy": _round(sum(formats_t[i] == formats_p[i] for i in ix) / len(ix))}
            for g, ix in sorted(groups.items())}
    return out


def majority_labels(rows: Sequence[dict] | None = None) -> tuple[str, str]:
    """The most frequent topic and format of the held-out set (ties broken by taxonomy order)."""
    rows = rows if rows is not None else load_labels()
    topic = max(TOPICS, key=lambda t: (sum(r["topic"] == t for r in rows), -TOPICS.index(t)))
    fmt = max(FORMATS, key=lambda f: (sum(r["format"] == f for r in rows), -FORMATS.index(f)))
    return topic, fmt


def majority_predictor(rows: Sequence[dict] | None = None) -> Predict:
    """A `predict` that always answers the most frequent topic and format: the trivial baseline."""
    label = majority_labels(rows)

    def predict(texts: list, langs: list) -> list:
        return [label] * len(texts)

    return predict


def evaluate(predict: Predict, shared: Path | None = None) -> dict:
    """Score `predict(texts, langs) -> [(topic, format)]` on the held-out set; see the module docstring."""
    shared = shared or SHARED
    if not shared.is_dir():
        return {"skipped": f"{shared} not found"}
    missing = [p for p in (OSCAR_FILE, *CORE_FILES.values()) if not (shared / p).is_file()]
    if missing or not WET_2016.is_file():
        return {"skipped": f"source files missing: {missing or [str(WET_2016)]}"}
    rows = load_heldout(shared)
    texts = [r["text"] for r in rows]
    langs = [r["lang"] for r in rows]
    pairs = [tuple(p) for p in predict(texts, langs)]
    if len(pairs) != len(rows):
        raise ValueError(f"predict returned {len(pairs)} labels for {len(rows)} documents")
    result = _score(rows, pairs)
    baseline_label = majority_labels(rows)
    baseline = _score(rows, [baseline_label] * len(rows))
    human = core_agreement(rows, [r["format"] for r in rows])
    result.update({
        "labelled_documents": len(rows),
        "labels": str(LABELS.relative_to(ROOT)),
        "labelled_by": "an AI assistant reading each page, not a domain expert",
        "documents_per_language": dict(sorted(Counter(langs).items())),
        "documents_per_source": dict(Counter(r["source"] for r in rows)),
        "targets": {**TARGETS,
                    "topic_accuracy_met": (result["topic"]["accuracy"] or 0) >= TARGETS["topic_accuracy"],
                    "format_accuracy_met": (result["format"]["accuracy"] or 0) >= TARGETS["format_accuracy"]},
        "core_register_mapping": {reg: sorted(fmts) for reg, fmts in CORE_REGISTER_FORMATS.items()},
        "core_register_agreement_of_human_labels": human,
        "baseline_most_frequent": {
            "label": {"topic": baseline_label[0], "format": baseline_label[1]},
            "topic_accuracy": baseline["topic"]["accuracy"], "topic_macro_f1": baseline["topic"]["macro_f1"],
            "format_accuracy": baseline["format"]["accuracy"], "format_macro_f1": baseline["format"]["macro_f1"],
            "core_register_agreement": baseline["core_register_agreement"]["per_language"],
            "per_language": baseline["per_language"],
        },
        "errors": [f"{r['id']} lang={r['lang']} topic {r['topic']!r}->{p[0]!r} format {r['format']!r}->{p[1]!r}"
                   for r, p in zip(rows, pairs) if (r["topic"], r["format"]) != p][:400],
    })
    return result


def model_predictor(model_dir: str | None = None) -> Predict:
    """What silver stores: the bundled (or a saved) domain model on text normalised as silver normalises it."""
    from etl.models.domain_model import load_domain_model
    from etl.models.domain_predict import predict_labels
    from etl.models.normalize import normalize_text

    model = load_domain_model(model_dir)

    def predict(texts: Sequence[str], langs: Sequence[str]) -> list[tuple[str, str]]:
        out = predict_labels(model, [normalize_text(t) for t in texts], list(langs))
        return list(zip(out["topic"], out["format"]))

    return predict


def run(model_dir: str | None = None) -> dict:
    """`make eval`: the shipped domain model on the held-out pages, beside the most-frequent-label baseline."""
    return {"model": evaluate(model_predictor(model_dir)), "baseline": evaluate(majority_predictor())}


if __name__ == "__main__":
    out = run()
    print(json.dumps({k: v for k, v in out.items() if k != "errors"}, indent=1, ensure_ascii=False)[:8000])
