"""Rule parity: our signals + rule table against datatrove's four quality filters, document by document.

Documents: the 63 real OSCAR records and the Clough-Stevenson essays bundled in tests/data, plus GENERATED
variants. The generated documents are synthetic: each takes a random slice of a real text (seeded, so the set is the
same on every run) and applies one or two edits at a random strength (repeated lines or paragraphs, bullets,
ellipses, hashes, truncation, lorem ipsum, curly brackets, javascript/cookie lines, stripped punctuation, long or
short words, short lines, numbers, missing stop words, repeated phrases, extra newlines, citations), chosen so that
every rule of every family is met on both sides of its threshold.

Run: ``python evals/quality_parity.py`` prints a table and writes reports/eval_quality.json.
"""

from __future__ import annotations

import glob
import json
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from etl.gold.rules import DEFAULT_RULES, FAMILIES, family_rules, first_failure  # noqa: E402
from etl.silver.quality import quality_signals, with_char_words  # noqa: E402

OSCAR_SAMPLE = ROOT / "tests/data/oscar_2021/oscar_22.01_sample_63docs.jsonl"
CLOUGH_TEXTS = ROOT / "tests/data/clough_stevenson/texts"
REPORT_PATH = ROOT / "reports/eval_quality.json"
SEED = 20240611
MAX_DISAGREEMENTS = 20  # listed per family in the report
SLICE_LINES = (3, 60)  # generated documents start from this many consecutive lines of a real text


def real_documents() -> list[tuple[str, str]]:
    """(label, text) of the bundled real documents."""
    docs = []
    if OSCAR_SAMPLE.exists():
        with open(OSCAR_SAMPLE, encoding="utf-8") as handle:
            for i, line in enumerate(handle):
                docs.append((f"oscar:{i}", json.loads(line)["content"]))
    for path in sorted(glob.glob(str(CLOUGH_TEXTS / "*.txt"))):
        with open(path, encoding="utf-8", errors="replace") as handle:
            docs.append((f"clough:{Path(path).stem}", handle.read()))
    return docs


# --- generated variants ----------------------------------------------------------------------------------------

_FILLER = ["data", "report", "market", "people", "system", "value", "local", "house", "garden", "light"]
_PHRASES = ["click here to read more", "all rights reserved by the owner", "buy now and save big today"]


def _lines(text: str) -> list[str]:
    return text.split("\n")


def _slice(rng: random.Random, text: str) -> str:
    lines = _lines(text)
    if len(lines) <= 3:  # essays with few line breaks: slice words instead
        words = text.split(" ")
        size = rng.randint(20, 400)
        start = rng.randint(0, max(0, len(words) - size))
        return " ".join(words[start : start + size])
    size = rng.randint(*SLICE_LINES)
    start = rng.randint(0, max(0, len(lines) - size))
    return "\n".join(lines[start : start + size])


def _pick(rng: random.Random, items: list[str], strength: float) -> set[int]:
    return {i for i in range(len(items)) if rng.random() < strength}


def repeat_lines(rng, text, s):
    lines = _lines(text)
    extra = [rng.choice(lines) for _ in range(int(len(lines) * s))]
    for line in extra:
        lines.insert(rng.randint(0, len(lines)), line)
    return "\n".join(lines)


def repeat_paragraphs(rng, text, s):
    paras = re.split(r"\n{2,}", text) if "\n\n" in text else _lines(text)
    extra = [rng.choice(paras) for _ in range(int(len(paras) * s) + 1)]
    return "\n\n".join(paras + extra if rng.random() < 0.5 else extra + paras)


def bullets(rng, text, s):
    lines = _lines(text)
    marks = _pick(rng, lines, s)
    return "\n".join((rng.choice(["• ", "- ", "  -", "•"]) + line) if i in marks else line for i, line in enumerate(lines))


def ellipsis_lines(rng, text, s):
    lines = _lines(text)
    marks = _pick(rng, lines, s)
    return "\n".join(line.rstrip(".") + rng.choice(["...", "…", " ..."]) if i in marks else line
                     for i, line in enumerate(lines))


def inject_tokens(name, token_choices):
    def edit(rng, text, s):
        words = text.split(" ")
        return " ".join(w + " " + rng.choice(token_choices) if rng.random() < s else w for w in words)
    edit.__name__ = name
    return edit


def truncate(rng, text, s):
    words = text.split(" ")
    return " ".join(words[: max(1, int(120 * s))])


def lorem(rng, text, s):
    lines = _lines(text)
    line = rng.choice(["Lorem ipsum dolor sit amet, consectetur adipiscing elit.", "lorem ipsum dolor sit amet",
                       "This is Lorem Ipsum text for the layout!"])
    lines.insert(rng.randint(0, len(lines)), line)
    return "\n".join(lines)


def curly(rng, text, s):
    lines = _lines(text)
    line = rng.choice(["function f() { return 1; }", "The set {a, b, c} is small.", "var x = {};", "{"])
    lines.insert(rng.randint(0, len(lines)), line)
    return "\n".join(lines)


def boilerplate_lines(rng, text, s):
    lines = _lines(text)
    for _ in range(int(len(lines) * s) + 1):
        lines.insert(rng.randint(0, len(lines)), rng.choice([
            "Please enable JavaScript in your browser to see this page.", "This site uses cookies to work well.",
            "Read our privacy policy and terms of use.", "We use cookies.", "JavaScript is disabled!"]))
    return "\n".join(lines)


def strip_punctuation(rng, text, s):
    lines = _lines(text)
    marks = _pick(rng, lines, s)
    return "\n".join(re.sub(r"[.!?\"']+\s*$", "", line) if i in marks else line for i, line in enumerate(lines))


def long_words(rng, text, s):
    words = text.split(" ")
    return " ".join(w + w.lower() * 3 if rng.random() < s else w for w in words)


def short_words(rng, text, s):
    words = text.split(" ")
    return " ".join(rng.choice(["a", "I", "to", "of", "an", "is"]) if rng.random() < s else w for w in words)


def short_lines(rng, text, s):
    words = text.split()
    out, line = [], []
    width = int(10 + 60 * (1 - s))
    for word in words:
        line.append(word)
        if len(" ".join(line)) >= width:
            out.append(" ".join(line))
            line = []
    return "\n".join(out + [" ".join(line)])


def numbers(rng, text, s):
    words = text.split(" ")
    return " ".join(str(rng.randint(0, 9999)) if rng.random() < s else w for w in words)


def no_stop_words(rng, text, s):
    stop = {"the", "be", "to", "of", "and", "that", "have", "with"}
    return " ".join(w for w in text.split(" ") if w not in stop or rng.random() > s)


def repeated_phrase(rng, text, s):
    words = text.split(" ")
    phrase = rng.choice(_PHRASES) if rng.random() < 0.5 else " ".join(rng.choice(_FILLER) for _ in range(rng.randint(2, 8)))
    for _ in range(int(len(words) * s / 4) + 1):
        words.insert(rng.randint(0, len(words)), phrase)
    return " ".join(words)


def newlines(rng, text, s):
    return re.sub(" ", lambda m: "\n" if rng.random() < s else " ", text)


def citations(rng, text, s):
    lines = _lines(text)
    marks = _pick(rng, lines, s)
    return "\n".join(line + rng.choice(["[1]", "[edit]", "[citation needed]", "[12]"]) if i in marks else line
                     for i, line in enumerate(lines))


def giant_word(rng, text, s):
    lines = _lines(text)
    lines.insert(rng.randint(0, len(lines)), "x" * rng.choice([999, 1000, 1001, 5000]) + " end of it.")
    return "\n".join(lines)


EDITS = [repeat_lines, repeat_paragraphs, bullets, ellipsis_lines, inject_tokens("hashes", ["#", "#tag", "##", "#1"]),
         inject_tokens("ellipses", ["...", "…", "wait...", "...and"]), truncate, lorem, curly, boilerplate_lines,
         strip_punctuation, long_words, short_words, short_lines, numbers, no_stop_words, repeated_phrase, newlines,
         citations, giant_word]


def generated_documents(bases: list[str], count: int, seed: int = SEED) -> list[tuple[str, str]]:
    """``count`` GENERATED documents: a slice of a real text with one or two random edits (see module doc)."""
    rng = random.Random(seed)
    docs = []
    for i in range(count):
        text = _slice(rng, rng.choice(bases))
        names = []
        for edit in rng.sample(EDITS, rng.choice([1, 1, 1, 2])):
            text = edit(rng, text, rng.random() ** 1.5 * 0.8)
            names.append(edit.__name__)
        docs.append((f"generated:{i}:{'+'.join(names)}", text))
    return docs


LONG_DOC_WORDS = 100_500  # just over Gopher's 100,000-word ceiling


def edge_documents(bases: list[str], seed: int = SEED) -> list[tuple[str, str]]:
    """GENERATED edge cases: empty, blank, and one document over the Gopher word ceiling (shuffled real words)."""
    rng = random.Random(seed)
    pool = [w for text in bases for w in text.split()]
    words = [rng.choice(pool) for _ in range(LONG_DOC_WORDS)]
    lines = [" ".join(words[i : i + 12]) + "." for i in range(0, len(words), 12)]
    return [("generated:edge:empty", ""), ("generated:edge:blank", "  \n\n \t\n"),
            ("generated:edge:over_100k_words", "\n".join(lines))]


def documents(min_docs: int = 2000) -> list[tuple[str, str]]:
    """Real documents, edge cases, then enough generated variants to reach ``min_docs`` (deterministic)."""
    real = real_documents()
    bases = [text for _, text in real if len(text.split()) >= 20]
    fixed = real + edge_documents(bases)
    return fixed + generated_documents(bases, max(0, min_docs - len(fixed)))


# --- comparison ------------------------------------------------------------------------------------------------

def datatrove_filters() -> dict:
    """datatrove's filters with default parameters, keyed by our family names."""
    from datatrove.pipeline.filters import (
        C4QualityFilter,
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
    )

    return {"gopher_quality": GopherQualityFilter(), "gopher_repetition": GopherRepetitionFilter(),
            "c4": C4QualityFilter(), "fineweb": FineWebQualityFilter()}


def datatrove_verdict(flt, text: str, doc_id: str) -> str | None:
    """None when datatrove keeps the document, else its reason (a fresh Document: C4 rewrites doc.text)."""
    from datatrove.data import Document

    result = flt.filter(Document(text=text, id=doc_id))
    if result is True:
        return None
    return result[1] if isinstance(result, tuple) else "dropped"


MODES = ("agreement", "agreement_char_words")


def run(min_docs: int = 2000) -> dict:
    """Agreement of keep/drop per family between our rules and datatrove on the eval documents.

    ``agreement``: our default rules against datatrove's default filters, both with English word splitting (the
    contract). ``agreement_char_words``: our rules reading the character-split ``*_charwords`` signals for every
    document, which gold does for the languages in ``char_word_languages`` (zh, ja, th); it differs from datatrove
    only on documents in scripts without spaces, by design. Disagreements are listed for both.
    """
    filters = datatrove_filters()
    docs = documents(min_docs)
    rules = {family: family_rules(DEFAULT_RULES, family) for family in FAMILIES}
    agree = {family: dict.fromkeys(MODES, 0) for family in FAMILIES}
    dropped = {family: {"ours": 0, "datatrove": 0} for family in FAMILIES}
    listed: dict[str, list] = {family: [] for family in FAMILIES}
    for index, (label, text) in enumerate(docs):
        plain = quality_signals(text)
        signals = {"agreement": plain, "agreement_char_words": with_char_words(plain)}
        for family in FAMILIES:
            theirs = datatrove_verdict(filters[family], text, str(index))
            dropped[family]["datatrove"] += theirs is not None
            for key in MODES:
                ours = first_failure(signals[key], rules[family])
                agree[family][key] += (ours is None) == (theirs is None)
                if key == "agreement":
                    dropped[family]["ours"] += ours is not None
                if (ours is None) != (theirs is None):
                    listed[family].append({"mode": key, "doc": index, "label": label, "ours": ours or "keep",
                                           "theirs": theirs or "keep",
                                           "no_space_script": bool(_NO_SPACE_SCRIPT.search(text))})
    report = {}
    for family in FAMILIES:
        report[family] = {
            "docs": len(docs),
            **{key: agree[family][key] / max(1, len(docs)) for key in MODES},
            "ours_dropped": dropped[family]["ours"],
            "datatrove_dropped": dropped[family]["datatrove"],
            **{f"n_disagreements_{key}": sum(d["mode"] == key for d in listed[family]) for key in MODES},
            "n_disagreements_char_words_in_no_space_script_docs": sum(
                d["no_space_script"] for d in listed[family] if d["mode"] == "agreement_char_words"),
            "disagreements": [d for d in listed[family] if d["mode"] == "agreement"][:MAX_DISAGREEMENTS]
            + [d for d in listed[family] if d["mode"] == "agreement_char_words"][:MAX_DISAGREEMENTS],
        }
    return report


_NO_SPACE_SCRIPT = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\u0e00-\u0eff\u1780-\u17ff]")


def _print_table(report: dict) -> None:
    print(f"{'family':<20}{'docs':>6}{'agreement':>11}{'char-words agr.':>17}{'ours drop':>11}{'dt drop':>9}"
          f"{'char-words disagree (CJK/Thai)':>32}")
    for family, entry in report.items():
        split = (f"{entry['n_disagreements_agreement_char_words']} "
                 f"({entry['n_disagreements_char_words_in_no_space_script_docs']})")
        print(f"{family:<20}{entry['docs']:>6}{entry['agreement']:>11.4f}{entry['agreement_char_words']:>17.4f}"
              f"{entry['ours_dropped']:>11}{entry['datatrove_dropped']:>9}{split:>32}")
    for family, entry in report.items():
        for item in entry["disagreements"]:
            print(f"  {family} [{item['mode']}]: doc {item['doc']} ({item['label']}): ours={item['ours']} "
                  f"datatrove={item['theirs']}")


if __name__ == "__main__":
    started = time.perf_counter()
    result = run()
    _print_table(result)
    REPORT_PATH.parent.mkdir(parents=True, exist_ok=True)
    REPORT_PATH.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {REPORT_PATH.relative_to(ROOT)} in {time.perf_counter() - started:.0f}s")
