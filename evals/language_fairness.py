"""Language fairness of the quality rules: per detected language, how many real documents each rule set keeps.

Documents: the bundled sample (data/sample/*.wet.gz, real multilingual Common Crawl WET records plus a GENERATED
duplicates file) and, when present, the real records in /work/shared/data (OSCAR 2021 JSONL, 2016 WET fragments),
each counted only when its text is not already in the sample or an earlier source. Each text is normalised and language-identified as silver does, then
judged by the four quality families only (gopher_quality, gopher_repetition, c4, fineweb; language, url, badwords,
toxicity and dedup are out of scope):

* ``datatrove``: datatrove 0.10's four filters with their English defaults on the same text (the parity oracle,
  and what our rules did for every language before per-language thresholds);
* ``old``: our rule table with the per-language overrides before FineWeb2's thresholds (OLD_LANGUAGE_OVERRIDES);
* ``new``: our rule table with DEFAULT_LANGUAGE_OVERRIDES, as gold decides;
* ``fineweb2``: FineWeb2's own recipe where it has a config for the language: its per-language thresholds and stop
  words, its pipeline-wide choices (no C4, no short-line or paragraph rules, char_dup 0.1) and its language-score
  cut applied to our langdetect score (a different model: indicative only). English: FineWeb2 has no config, so
  datatrove's defaults under the same pipeline choices.

Run: ``python evals/language_fairness.py`` prints the table; ``run()`` returns it as a dict.
"""

from __future__ import annotations

import glob
import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from etl.bronze.records import decode_text  # noqa: E402
from etl.config import GoldConfig  # noqa: E402
from etl.catalog import ANY_LANGUAGE  # noqa: E402
from etl.gold.decisions import DEFAULT_LANGUAGE_OVERRIDES  # noqa: E402
from etl.gold.language_thresholds import (FINEWEB2_FAMILIES, FINEWEB2_MIN_STOP_WORDS,  # noqa: E402
                                          FINEWEB2_PIPELINE_OVERRIDES, FINEWEB2_THRESHOLDS, fineweb2_rule_overrides)
from etl.gold.rules import DEFAULT_RULES, Rule, first_failure, with_overrides  # noqa: E402
from etl.io.warc import Record, WarcReader  # noqa: E402
from etl.silver.langid import detect_language  # noqa: E402
from etl.models.normalize import normalize_text  # noqa: E402
from etl.silver.quality import GOPHER_STOP_WORDS, quality_signals, with_char_words  # noqa: E402
from etl.silver.text_units import split_words  # noqa: E402

SAMPLE_GLOB = str(ROOT / "data/sample/*.wet.gz")
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"  # next to the checkout; absent in a clone
OSCAR_GLOB = str(SHARED / "cc_wet_records_2021_oscar_jsonl/*.jsonl")
FRAGMENTS_GLOB = str(SHARED / "cc_wet_2016_fragments/*.wet.gz")
QUALITY_FAMILIES = ("gopher_quality", "gopher_repetition", "c4", "fineweb")
TOP_REASONS = 3
# The per-language overrides gold shipped before FineWeb2's thresholds (the "old" column).
OLD_LANGUAGE_OVERRIDES: dict[str, dict[str, float]] = {
    ANY_LANGUAGE: {"gopher_quality:few_stop_words": 0},
    "en": {"gopher_quality:few_stop_words": 2},
    "zh": {"gopher_quality:below_avg_word_len": 0},
    "ja": {"gopher_quality:below_avg_word_len": 0},
    "th": {"gopher_quality:below_avg_word_len": 0},
}
_QUALITY_RULES = tuple(r for r in DEFAULT_RULES if r.family in QUALITY_FAMILIES)


def _wet_texts(path: str) -> list[str]:
    with open(path, "rb") as handle:
        return [decode_text(item.payload)[0] for item in WarcReader(handle)
                if isinstance(item, Record) and item.headers.get("warc-type") == "conversion"]


def documents() -> list[tuple[str, str]]:
    """(source, raw text) of every available document, sample first; missing shared folders are skipped."""
    docs = [("sample", t) for path in sorted(glob.glob(SAMPLE_GLOB)) for t in _wet_texts(path)]
    for path in sorted(glob.glob(OSCAR_GLOB)):
        with open(path, encoding="utf-8") as handle:
            docs += [("oscar_2021", json.loads(line)["content"]) for line in handle if line.strip()]
    docs += [("fragments_2016", t) for path in sorted(glob.glob(FRAGMENTS_GLOB)) for t in _wet_texts(path)]
    return docs


def language_rules(language: str | None, overrides: dict[str, dict[str, float]],
                   rules: tuple[Rule, ...] = _QUALITY_RULES) -> tuple[Rule, ...]:
    """The rules gold applies to one language: "*" for any detected language, then the language's own values."""
    merged = dict(overrides.get(ANY_LANGUAGE, {})) if language else {}
    merged.update(overrides.get(language, {}) if language else {})
    known = {r.key for r in rules}
    return with_overrides(rules, {k: v for k, v in merged.items() if k in known})


def signals_for(language: str | None, signals: dict) -> dict:
    """Gold's view: character-split word signals for GoldConfig.char_word_languages."""
    return with_char_words(signals) if language in GoldConfig().char_word_languages else signals


def fineweb2_verdict(language: str | None, text: str, signals: dict, language_score: float) -> str | None:
    """First reason FineWeb2's recipe drops the document (None: kept); "n/a" for a language it has no config for."""
    config = FINEWEB2_THRESHOLDS.get(language)
    if config is None and language != "en":
        return "n/a"
    if config is not None and language_score < config.language_score:
        return "language:low_score"
    overrides = {**FINEWEB2_PIPELINE_OVERRIDES, **fineweb2_rule_overrides(language or "")}
    rules = [r for family in FINEWEB2_FAMILIES for r in with_overrides(_QUALITY_RULES, overrides)
             if r.family == family and r.key != "gopher_quality:few_stop_words"]
    view = signals_for(language, signals)
    reason = first_failure(view, rules)
    if reason is not None:
        return reason
    stop_words = set(config.stop_words) if config else GOPHER_STOP_WORDS
    words = set(split_words(text, language in GoldConfig().char_word_languages))
    return None if len(stop_words & words) >= FINEWEB2_MIN_STOP_WORDS else "gopher_quality:few_stop_words"


def datatrove_verdict(filters: dict, text: str, doc_id: str) -> str | None:
    """First datatrove filter (English defaults) that drops the text, as "family:reason"."""
    from evals.quality_parity import datatrove_verdict as verdict

    for family in QUALITY_FAMILIES:
        reason = verdict(filters[family], text, doc_id)
        if reason is not None:
            return f"{family}:{reason}"
    return None


def judged_documents() -> list[dict]:
    """One row per distinct text: source, language, language score and every rule set's first drop reason."""
    from evals.quality_parity import datatrove_filters

    filters = datatrove_filters()
    seen: set[str] = set()
    rows = []
    for index, (source, raw) in enumerate(documents()):
        text = normalize_text(raw)
        digest = hashlib.sha1((text or "").encode("utf-8", "surrogatepass")).hexdigest()
        # the sample counts every record (as gold's figures do); other sources add only texts not seen before
        if not text or (source != "sample" and digest in seen):
            continue
        seen.add(digest)
        language, score = detect_language(text)
        signals = quality_signals(text)
        view = signals_for(language, signals)
        rows.append({
            "source": source, "language": language or "none", "language_score": score,
            "old": first_failure(view, language_rules(language, OLD_LANGUAGE_OVERRIDES)),
            "new": first_failure(view, language_rules(language, DEFAULT_LANGUAGE_OVERRIDES)),
            "fineweb2": fineweb2_verdict(language, text, signals, score),
            "datatrove": datatrove_verdict(filters, text, str(index)),
        })
    return rows


SETTINGS = ("datatrove", "old", "new", "fineweb2")


def summarise(rows: list[dict], source: str | None = None) -> dict:
    """Per language: docs, kept per rule set, top drop reasons per rule set (``source`` None: every source)."""
    out: dict[str, dict] = {}
    for row in rows:
        if source is not None and row["source"] != source:
            continue
        entry = out.setdefault(row["language"], {"docs": 0, **{f"kept_{s}": 0 for s in SETTINGS},
                                                 **{f"reasons_{s}": Counter() for s in SETTINGS}})
        entry["docs"] += 1
        for setting in SETTINGS:
            reason = row[setting]
            if reason is None:
                entry[f"kept_{setting}"] += 1
            else:
                entry[f"reasons_{setting}"][reason] += 1
    for entry in out.values():
        for setting in SETTINGS:
            entry[f"reasons_{setting}"] = dict(entry[f"reasons_{setting}"].most_common(TOP_REASONS))
        if entry["reasons_fineweb2"].get("n/a") == entry["docs"]:
            entry["kept_fineweb2"] = None
    return dict(sorted(out.items(), key=lambda item: (-item[1]["docs"], item[0])))


def run() -> dict:
    """``{"sample": {lang: ...}, "all": {lang: ...}}`` (all = the sample plus the new texts of the other sources)."""
    rows = judged_documents()
    return {"sample": summarise(rows, "sample"), "all": summarise(rows)}


def _print_table(report: dict) -> None:
    for scope, table in report.items():
        print(f"== {scope}: kept by the quality families (datatrove English defaults | our old | our new | FineWeb2)")
        print(f"{'lang':<6}{'docs':>5}{'dtrove':>8}{'old':>6}{'new':>6}{'fw2':>6}  top drop reasons (new)"
              "  ||  (old)")
        for lang, e in table.items():
            fw2 = "-" if e["kept_fineweb2"] is None else e["kept_fineweb2"]
            reasons = ", ".join(f"{k} {v}" for k, v in e["reasons_new"].items())
            old = ", ".join(f"{k} {v}" for k, v in e["reasons_old"].items())
            print(f"{lang:<6}{e['docs']:>5}{e['kept_datatrove']:>8}{e['kept_old']:>6}{e['kept_new']:>6}{fw2:>6}"
                  f"  {reasons}  ||  {old}")


if __name__ == "__main__":
    _print_table(run())
