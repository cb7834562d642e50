"""Keep/drop change of the LDNOOBW badwords rule on real Common Crawl records: old rule vs new rule.

* **old**: ``badwords:ldnoobw_hits``, drop when more than ``OLD_MAX_HITS`` (2) hits of the document language's list,
  the English list for a language without one, every list for an unknown language, no allow-list.
* **new**: ``badwords:ldnoobw_ratio``, drop when silver's ``obscenity_word_ratio`` (own-language list only, allow-
  lists applied) is above ``GoldConfig.max_badword_ratio``. ``new_hits>2`` is the old count threshold on the new
  hits, to tell the allow-lists' share of the change from the ratio's.

Records: every WET conversion record of ``data/sample/*.wet.gz`` and ``../shared/data/cc_wet_2016_fragments``, and the
OSCAR JSONL records in ``../shared/data/cc_wet_records_2021_oscar_jsonl`` (folders that are absent are skipped).
Several files hold copies of the same records, so documents are de-duplicated on their text. Texts are normalised and
language-identified as silver does (``normalize_series``, ``detect_series``). No labels exist for these records, so
the eval reports what changed and which words caused it, not precision.

The labelled side: the 101 real Jigsaw comments in ``tests/data/jigsaw`` (English, ``obscene`` column) are flagged by
both rules, to see what the change costs in recall on real obscene text.

Run: ``python evals/badwords_eval.py`` prints a table; ``run()`` returns the figures as a dict.
"""

from __future__ import annotations

import collections
import hashlib
import json
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from etl.config import GoldConfig  # noqa: E402
from etl.io.warc import Record, WarcReader  # noqa: E402
from etl.silver import toxicity as tx  # noqa: E402
from etl.silver.langid import DEFAULT_MAX_CHARS, detect_series  # noqa: E402
from etl.models.normalize import normalize_series  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
WET_GLOBS = (ROOT / "data" / "sample", SHARED / "cc_wet_2016_fragments")
OSCAR_JSONL = SHARED / "cc_wet_records_2021_oscar_jsonl" / "oscar_22.01_sample_63docs.jsonl"
JIGSAW = ROOT / "tests" / "data" / "jigsaw" / "test_examples.csv"
JIGSAW_LANG = "en"
OLD_MAX_HITS = 2  # the removed GoldConfig.max_badword_hits
OLD_FALLBACK_LANG = "en"
UNKNOWN = "unknown"
TOP_WORDS = 5


def load_records() -> list[dict]:
    """Unique (by text) real records: source file, URL and text."""
    records, seen = [], set()

    def add(source: str, url: str | None, text: str) -> None:
        digest = hashlib.sha1(text.encode("utf-8")).hexdigest()
        if text.strip() and digest not in seen:
            seen.add(digest)
            records.append({"source": source, "url": url, "text": text})

    for folder in WET_GLOBS:
        for path in sorted(folder.glob("*.wet.gz")) if folder.is_dir() else []:
            with path.open("rb") as raw:
                for item in WarcReader(raw):
                    if isinstance(item, Record) and item.type == "conversion":
                        add(path.name, item.headers.get("warc-target-uri"),
                            item.payload.decode("utf-8", errors="replace"))
    if OSCAR_JSONL.is_file():
        for line in OSCAR_JSONL.read_text(encoding="utf-8").splitlines():
            doc = json.loads(line)
            add(OSCAR_JSONL.name, doc["warc_headers"].get("warc-target-uri"), doc["content"])
    return records


def _old_matcher(lang: str | None) -> tx._TrieMatcher:
    """The matcher the old rule used: own list, English fallback, every list for an unknown language."""
    lists = tx._ldnoobw_terms()
    langs = sorted(lists) if lang is None else [lang if lang in lists else OLD_FALLBACK_LANG]
    return tx._TrieMatcher(tx._term_for(w, code, None, wildcards=False) for code in langs for w in lists[code])


def old_hits(text: str, lang: str | None) -> collections.Counter:
    """Old-rule hits of one text, by matched (folded) term."""
    folded = tx.fold_for_matching(text)
    return collections.Counter(folded[start:end] for start, end in _old_matcher(lang).spans(folded))


def jigsaw_obscene() -> dict:
    """Old and new rule against Jigsaw's human ``obscene`` label: flagged, true positives, precision, recall."""
    if not JIGSAW.is_file():
        return {}
    data = pd.read_csv(JIGSAW)
    texts = normalize_series(data["comment_text"])
    gold = data["obscene"].astype(bool).tolist()
    ratio = tx.score_toxicity_series(texts, pd.Series([JIGSAW_LANG] * len(texts)))["obscenity_word_ratio"]
    flags = {"old": [sum(old_hits(t, JIGSAW_LANG).values()) > OLD_MAX_HITS for t in texts],
             "new": (ratio > GoldConfig().max_badword_ratio).tolist()}
    out: dict = {"comments": len(gold), "obscene": sum(gold)}
    for rule, flagged in flags.items():
        tp = sum(f and g for f, g in zip(flagged, gold))
        out[rule] = {"flagged": sum(flagged), "true_positives": tp,
                     "precision": round(tp / sum(flagged), 3) if sum(flagged) else None,
                     "recall": round(tp / sum(gold), 3) if sum(gold) else None}
    return out


def run() -> dict:
    """Per language: documents flagged by the old and the new rule, and the words behind old-only drops."""
    records = load_records()
    if not records:
        return {"documents": 0}
    texts = normalize_series(pd.Series([r["text"] for r in records]))
    langs = detect_series(texts, DEFAULT_MAX_CHARS)["lang"].tolist()
    scores = tx.score_toxicity_series(texts, pd.Series(langs))
    max_ratio = GoldConfig().max_badword_ratio

    per_lang: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    old_only, new_only = [], []
    for i, (record, text, lang) in enumerate(zip(records, texts, langs)):
        hits = old_hits(text, lang)
        old = sum(hits.values()) > OLD_MAX_HITS
        new_hits, ratio = scores["obscenity_hits"].iloc[i], scores["obscenity_word_ratio"].iloc[i]
        measured = not pd.isna(new_hits)
        new = measured and ratio > max_ratio
        row = per_lang[lang or UNKNOWN]
        row.update(documents=1, old=int(old), new=int(new), new_hits_gt_2=int(measured and new_hits > OLD_MAX_HITS),
                   not_measured=int(not measured), old_only=int(old and not new), new_only=int(new and not old))
        if old and not new:
            old_only.append({"language": lang or UNKNOWN, "url": record["url"], "source": record["source"],
                             "words": tx.word_count(text), "old_hits": sum(hits.values()),
                             "new_hits": None if not measured else int(new_hits),
                             "new_ratio": None if not measured else round(float(ratio), 5),
                             "terms": dict(hits.most_common(TOP_WORDS))})
        if new and not old:
            new_only.append({"language": lang, "url": record["url"], "ratio": round(float(ratio), 5)})

    words = collections.Counter()
    for doc in old_only:
        words.update(doc["terms"])
    total = sum(per_lang.values(), collections.Counter())
    return {
        "documents": len(records),
        "old_rule": f"obscenity_hits > {OLD_MAX_HITS} (fallback lists, no allow-list)",
        "new_rule": f"obscenity_word_ratio > {max_ratio} (own list, allow-lists)",
        "per_language": {lang: dict(counts) for lang, counts in sorted(per_lang.items())},
        "total": dict(total),
        "old_only_drops": old_only,
        "new_only_drops": new_only,
        "old_only_words": dict(words.most_common()),
        "jigsaw_obscene": jigsaw_obscene(),
    }


def _print_table(result: dict) -> None:
    columns = ("documents", "old", "new", "new_hits_gt_2", "not_measured", "old_only", "new_only")
    print(f"{result['documents']} unique real records; old: {result['old_rule']}; new: {result['new_rule']}")
    print(f"{'language':<10}" + "".join(f"{c:>14}" for c in columns))
    for lang, counts in [*result["per_language"].items(), ("TOTAL", result["total"])]:
        print(f"{lang:<10}" + "".join(f"{counts.get(c, 0):>14}" for c in columns))
    print("\nold-only drops (kept by the new rule):")
    for doc in result["old_only_drops"]:
        print(f"  {doc['language']:<4} {doc['old_hits']:>3} old hits -> {doc['new_hits']} new, ratio "
              f"{doc['new_ratio']}, {doc['words']} words  {doc['url']}\n        {doc['terms']}")
    print(f"\nwords behind old-only drops: {result['old_only_words']}")
    print(f"new-only drops: {result['new_only_drops']}")
    print(f"Jigsaw 'obscene' label (real comments): {result['jigsaw_obscene']}")


if __name__ == "__main__":
    _print_table(run())
