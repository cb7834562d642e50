"""Expert seeds for topic and format labels: keyword lists per label and language, and the rules that label a
document confidently from them (ChineseWebText 2.0's first step); silver adds their evidence to the model's
(etl.models.domain_predict).

The lists are etl/resources/domains/seeds/<lang>.json: ``{"topics": {label: "kw|kw*|..."}, "formats": {...}}``, lower
case; ``kw*`` matches any word starting with ``kw``, ``kw`` the whole word (Chinese and Japanese: anywhere; Korean:
at a word start, particles may follow; Arabic: also after the clitics و ف ب ل ك and the article). A document gets a
label when its distinct keyword hits for that label reach MIN_HITS and lead the next label by MIN_LEAD; formats add
structure evidence (etl.models.domain_model.structure_values) to the keyword hits.
"""

from __future__ import annotations

import dataclasses
import json
import random
import re
from functools import lru_cache

from etl import bundled
from etl.catalog import DOMAIN_FORMATS, DOMAIN_TOPICS
from etl.models.domain_model import structure_values

SEED_LANGUAGES = ("ar", "de", "en", "es", "fr", "hi", "id", "it", "ja", "ko", "pt", "ru", "sv", "tr", "zh")
NO_BOUNDARY = frozenset({"zh", "ja"})  # no spaces between words
START_ONLY = frozenset({"ko"})  # particles attach at the end of a word
# Arabic clitics stripped from a word's front before lookup (the conjunctions, prepositions and the article).
ARABIC_CLITICS = ("وبال", "وال", "بال", "فال", "كال", "لل", "ال", "و", "ف", "ب", "ل", "ك")
# A word: letters, digits and combining marks (Devanagari vowel signs, Arabic harakat).
TOKEN_RE = re.compile(r"[\w\u0300-\u036f\u064b-\u065f\u0900-\u0dff]+")
MAX_PHRASE_WORDS = 4
# Script pre-checks: a lexicon runs only on text that has its script (Latin ones always run).
SCRIPT_RE = {
    "ar": re.compile("[\u0600-\u06ff]"), "ru": re.compile("[\u0400-\u04ff]"), "hi": re.compile("[\u0900-\u097f]"),
    "zh": re.compile("[\u4e00-\u9fff]"), "ja": re.compile("[\u3040-\u30ff]"), "ko": re.compile("[\uac00-\ud7af]"),
}
ARABIC_RE = SCRIPT_RE["ar"]
MIN_HITS = 3   # distinct keywords of the winning label
MIN_LEAD = 2   # ... and this many more than the runner-up
SEED_TEXT_CHARS = 10000  # seed matching reads this much of a document

# Structure evidence for formats, added to keyword hits: (format, test on structure_values, points).
STRUCTURE_EVIDENCE = (
    ("Truncated", lambda s: s["chars"] < 200, 4),
    ("FAQ", lambda s: s["questions"] >= 0.15 and s["lines"] >= 6, 4),  # question lines between answers: a FAQ
    ("Q&A Forum", lambda s: s["questions"] > 0 and s["times"] + s["dates"] >= 3, 1),
    ("Comment Section", lambda s: s["times"] + s["dates"] >= 4 and s["end_punct"] >= 0.3, 1),
    ("Product Page", lambda s: s["prices"] >= 2, 2),
    ("Structured Data", lambda s: s["pipes"] >= 10 or (s["digits"] >= 0.15 and s["mean_line"] < 40), 2),
    ("Content Listing", lambda s: s["short_lines"] >= 0.7 and s["lines"] >= 20 and s["end_punct"] < 0.2, 2),
    ("Listicle", lambda s: s["bullets"] >= 0.15 and s["lines"] >= 5, 1),
    ("Personal Blog", lambda s: s["first_person"] >= 0.015, 1),
    ("About Page (Personal)", lambda s: s["first_person"] >= 0.02 and s["chars"] < 2500, 1),
    ("News Article", lambda s: s["dates"] >= 1 and s["end_punct"] >= 0.6 and s["mean_line"] >= 80, 1),
    ("Knowledge Article", lambda s: s["end_punct"] >= 0.7 and s["mean_line"] >= 100 and s["first_person"] < 0.003, 1),
    ("Creative Writing", lambda s: s["mean_line"] < 45 and s["lines"] >= 8 and s["digits"] < 0.01, 1),
)

# CORE registers (web_registers_core_fr_sv) -> the formats a page of that register can have: seeds and
# self-training keep a format label on a CORE page only when one of its registers allows it.
REGISTER_FORMATS = {
    "NA": ("News Article", "Personal Blog", "Creative Writing", "News (Organization)", "Nonfiction Writing",
           "About Page (Personal)"),
    "IN": ("Knowledge Article", "Academic Writing", "Nonfiction Writing", "Structured Data", "Documentation",
           "Legal Notices", "News (Organization)", "About Page (Organization)", "Content Listing"),
    "OP": ("User Review", "Personal Blog", "Nonfiction Writing", "Comment Section"),
    "ID": ("Q&A Forum", "Comment Section", "FAQ"),
    "HI": ("Tutorial", "FAQ", "Documentation", "Customer Support", "Listicle"),
    "IP": ("Product Page", "About Page (Organization)", "Spam / Ads", "Customer Support", "News (Organization)",
           "Listicle", "Content Listing"),
    "SP": ("Audio Transcript",),
    "LY": ("Creative Writing",),
}
# A page whose only register is one of these gets the format directly.
REGISTER_DIRECT = {"HI": "Tutorial", "SP": "Audio Transcript", "LY": "Creative Writing"}


@lru_cache(maxsize=None)
def load_seeds(lang: str) -> dict[str, dict[str, list[str]]]:
    """{"topics": {label: [keyword, ...]}, "formats": {...}} of one language's seed file."""
    path = bundled.resource(bundled.DOMAIN_SEEDS, f"{lang}.json")
    raw = json.loads(path.read_text(encoding="utf-8"))
    out = {}
    for head, labels in (("topics", DOMAIN_TOPICS), ("formats", DOMAIN_FORMATS)):
        table = raw[head]
        unknown = set(table) - set(labels)
        if unknown or set(labels) - set(table):
            raise ValueError(f"seeds {lang}: {head} labels differ from the taxonomy ({sorted(unknown)})")
        out[head] = {label: [k.strip() for k in table[label].split("|") if k.strip()] for label in labels}
    return out


def _tokens(text: str) -> list[str]:
    return TOKEN_RE.findall(text)


@dataclasses.dataclass
class Lexicon:
    """Every language's seeds as lookups: whole words and phrases, word prefixes, and substrings."""

    exact: dict[str, set]      # "w1 w2" -> {(head, label, keyword)}
    prefix: dict[str, set]     # a word's prefix -> {...}: keyword* and Korean keywords
    phrase_prefix: dict[str, set]  # "w1 prefix" -> {...}: multi-word keyword*
    phrase_heads: frozenset[str]   # the words before the last of a multi-word keyword*
    substrings: dict[str, list]    # language -> [(keyword, head, label)]: zh, ja, and keywords with punctuation
    prefix_lengths: tuple[int, ...] = ()  # the lengths of the keys in ``prefix``, ascending


@lru_cache(maxsize=None)
def lexicon(languages: tuple[str, ...] = SEED_LANGUAGES) -> Lexicon:
    """The seeds of ``languages`` compiled into one Lexicon."""
    lex = Lexicon({}, {}, {}, frozenset(), {})
    heads = set()
    for lang in languages:
        for head, table in load_seeds(lang).items():
            for label, keywords in table.items():
                for keyword in keywords:
                    entry = (head, label, f"{lang}:{keyword}")
                    star = keyword.endswith("*")
                    body = keyword.rstrip("*").lower()
                    words = _tokens(body)
                    if lang in NO_BOUNDARY or not words or " ".join(words) != re.sub(r"[-']", " ", body).strip():
                        lex.substrings.setdefault(lang, []).append((body, head, label, entry))
                    elif len(words) == 1 and (star or lang in START_ONLY):
                        lex.prefix.setdefault(words[0], set()).add(entry)
                    elif star or lang in START_ONLY:
                        lex.phrase_prefix.setdefault(" ".join(words), set()).add(entry)
                        heads.add(" ".join(words[:-1]))
                    else:
                        lex.exact.setdefault(" ".join(words), set()).add(entry)
    lex.phrase_heads = frozenset(heads)
    lex.prefix_lengths = tuple(sorted({len(k) for k in lex.prefix}))
    return lex


def _arabic_variants(token: str) -> list[str]:
    out = [token]
    for clitic in ARABIC_CLITICS:
        if token.startswith(clitic) and len(token) - len(clitic) >= 2:
            out.append(token[len(clitic):])
    return out


def keyword_hits(text: str, head: str, languages=SEED_LANGUAGES) -> dict[str, int]:
    """Distinct seed keywords found per label of ``head`` ("topics" or "formats"), over every language's seeds."""
    return all_keyword_hits(text, languages)[head]


def all_keyword_hits(text: str, languages=SEED_LANGUAGES) -> dict[str, dict[str, int]]:
    """{"topics": {label: distinct keywords found}, "formats": {...}} of one text."""
    lex = lexicon(tuple(languages))
    lower = text[:SEED_TEXT_CHARS].lower()
    tokens = _tokens(lower)
    found: set = set()
    arabic = ARABIC_RE.search(lower) is not None
    n_tok = len(tokens)
    for i, token in enumerate(tokens):
        for first in (_arabic_variants(token) if arabic else (token,)):
            key = first
            for n in range(1, MAX_PHRASE_WORDS + 1):
                if n > 1:
                    if i + n > n_tok:
                        break
                    key = key + " " + tokens[i + n - 1]
                hit = lex.exact.get(key)
                if hit:
                    found |= hit
            for cut in lex.prefix_lengths:
                if cut > len(first):
                    break
                hit = lex.prefix.get(first[:cut])
                if hit:
                    found |= hit
            if first in lex.phrase_heads and i + 1 < n_tok:
                nxt = tokens[i + 1]
                for cut in range(1, len(nxt) + 1):
                    hit = lex.phrase_prefix.get(first + " " + nxt[:cut])
                    if hit:
                        found |= hit
    for lang, entries in lex.substrings.items():
        script = SCRIPT_RE.get(lang)
        if script is not None and not script.search(lower):
            continue
        for body, _, _, entry in entries:
            if body in lower:
                found.add(entry)
    out: dict[str, dict[str, int]] = {"topics": {}, "formats": {}}
    for head, label, _ in found:
        out[head][label] = out[head].get(label, 0) + 1
    return out


def _confident(scores: dict[str, float], allowed=None) -> tuple[str, float] | None:
    if allowed is not None:
        scores = {k: v for k, v in scores.items() if k in allowed}
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    if not ranked or ranked[0][1] < MIN_HITS:
        return None
    runner = ranked[1][1] if len(ranked) > 1 else 0
    return ranked[0] if ranked[0][1] - runner >= MIN_LEAD else None


def seed_topic(text: str, language: str | None) -> str | None:
    """The topic the seeds of ``language`` give ``text`` confidently, else None (also for a language without seeds)."""
    if language not in SEED_LANGUAGES:
        return None
    best = _confident(keyword_hits(text, "topics", (language,)))
    return best[0] if best else None


def seed_format(text: str, language: str | None, registers: tuple[str, ...] = ()) -> str | None:
    """The format the seeds of ``language`` and the structure give ``text`` confidently (within its CORE registers'
    formats), else None."""
    if len(registers) == 1 and registers[0] in REGISTER_DIRECT:
        return REGISTER_DIRECT[registers[0]]
    if language not in SEED_LANGUAGES:
        return None
    scores: dict[str, float] = dict(keyword_hits(text, "formats", (language,)))
    values = structure_values(text)
    for label, test, points in STRUCTURE_EVIDENCE:
        if test(values):
            scores[label] = scores.get(label, 0) + points
    best = _confident(scores, allowed_formats(registers))
    return best[0] if best else None


def allowed_formats(registers: tuple[str, ...]) -> frozenset[str] | None:
    """The formats a page with these CORE registers can have; None when it has no known register."""
    known = [r for r in registers if r in REGISTER_FORMATS]
    if not known:
        return None
    return frozenset(f for r in known for f in REGISTER_FORMATS[r])


def seed_texts(per_label: int, seed: int = 0, languages=SEED_LANGUAGES) -> dict[str, list[tuple[str, str, str]]]:
    """Short pseudo-documents made of each label's keywords, per head: {"topic": [(text, label, language)], ...}.

    They teach the model every language's words even where no real page of that language was seed-labelled."""
    rng = random.Random(seed)
    out: dict[str, list[tuple[str, str, str]]] = {"topic": [], "format": []}
    for lang in languages:
        joiner = "、" if lang in NO_BOUNDARY else ", "
        seeds = load_seeds(lang)
        for head, key in (("topic", "topics"), ("format", "formats")):
            for label, words in seeds[key].items():
                clean = [w.rstrip("*") for w in words]
                for _ in range(per_label):
                    k = rng.randint(3, min(12, max(3, len(clean))))
                    out[head].append((joiner.join(rng.choices(clean, k=k)), label, lang))
    return out
