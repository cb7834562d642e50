"""GENERATED near-duplicate documents with a known plan, for the dedup evaluation and benchmark.

Every document is GENERATED from real words: the English, Spanish, German and French records of the OSCAR
22.01 sample and the Clough-Stevenson essays in tests/data. A base document is ~2 KB of short runs of consecutive
words cut at random offsets from that text, so its word 5-grams are real phrases while two base documents share
almost none of them. A near-duplicate is a copy of a base document of the same chunk with about ``edit_rate`` of
its words edited (substituted, deleted, or followed by an inserted word). Edits land in runs of 1, 4 or 16 words
(drawn per copy): scattered edits break up to five shingles each, clustered ones far fewer, so the same edit rates
give a spread of Jaccard similarities instead of one value per rate. ``skew_copies`` appends one page copied
verbatim that many times (one huge bucket in every band).

Everything is seeded and made chunk by chunk (``iter_chunks``), so a run is reproducible and a million documents
never need to be in memory at once. The plan lists what was planted; the truth used for scoring is still the exact
Jaccard of every pair (evals/dedup_eval.py), since copies of one source are also near-duplicates of each other.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Iterator, NamedTuple, Sequence

import numpy as np

ROOT = Path(__file__).resolve().parents[2]  # a checkout: the real words are tests/data's
DATA = ROOT / "tests" / "data"
OSCAR = DATA / "oscar_2021" / "oscar_22.01_sample_63docs.jsonl"
CLOUGH_TEXTS = DATA / "clough_stevenson" / "texts"
LANGUAGES = ("en", "es", "de", "fr")  # space-delimited languages of the sample: word shingles apply

DOC_BYTES = 2048
EDIT_RATES = (0.0, 0.02, 0.05, 0.1, 0.2, 0.3)
SPAN_LENGTHS = (1, 4, 16)  # words per edit run; drawn per near-duplicate
RUN_WORDS = (8, 32)  # a base document is runs of [8, 32) consecutive real words
RUNS_PER_DOC = 48  # drawn per document; ~48 * 20 words is far more than 2 KB needs
CHUNK_DOCS = 10_000  # documents per generation chunk (sources of a near-duplicate are in its chunk)
DEFAULT_SEED = 20240611
SKEW_STREAM = 2**32 - 1  # random stream of a page made only to be copied (chunk numbers never reach it)
SUBSTITUTE, DELETE, INSERT = 0, 1, 2

Planted = tuple[str, str, float]  # (dup_id, source_id, edit_rate)


class Chunk(NamedTuple):
    ids: list[str]
    texts: list[str]
    planted: list[Planted]


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:  # a few Clough-Stevenson files are cp1252
        return raw.decode("cp1252")


@lru_cache(maxsize=1)
def real_words() -> tuple[np.ndarray, np.ndarray]:
    """(words as an object array in reading order, UTF-8 bytes of each word plus its separating space)."""
    words: list[str] = []
    with open(OSCAR, encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            if record["metadata"]["identification"]["label"] in LANGUAGES:
                words.extend(record["content"].split())
    for path in sorted(CLOUGH_TEXTS.glob("*.txt")):
        words.extend(_decode(path.read_bytes()).split())
    sizes = np.fromiter((len(w.encode("utf-8")) + 1 for w in words), dtype=np.int64, count=len(words))
    return np.array(words, dtype=object), sizes


def doc_id(seed: int, index: int) -> str:
    """Zero-padded so string order is generation order (cluster ids are minimum ids)."""
    return f"gen{seed}-{index:08d}"


def _base_positions(rng: np.random.Generator, sizes: np.ndarray, doc_bytes: int) -> np.ndarray:
    """Word positions of one base document: random runs of consecutive words until ``doc_bytes`` is reached."""
    lengths = rng.integers(RUN_WORDS[0], RUN_WORDS[1], RUNS_PER_DOC)
    starts = rng.integers(0, len(sizes) - RUN_WORDS[1], RUNS_PER_DOC)
    offsets = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    positions = np.repeat(starts - offsets, lengths) + np.arange(int(lengths.sum()))
    cut = int(np.searchsorted(np.cumsum(sizes[positions]), doc_bytes)) + 1
    return positions[:cut]


def edit(rng: np.random.Generator, positions: np.ndarray, rate: float, span: int, pool: int) -> np.ndarray:
    """A copy of ``positions`` with about ``rate`` of its words edited in runs of ``span`` words.

    Each run is one operation: substitute every word by a random pool word, delete the words, or insert a
    random word after each of them. Later runs may overlap earlier ones, so the edited fraction is at most ``rate``.
    """
    n = len(positions)
    if rate <= 0.0 or n == 0:
        return positions.copy()
    span = min(span, n)
    runs = max(1, int(round(rate * n / span)))
    ops = np.full(n, -1, dtype=np.int8)
    starts = rng.integers(0, n - span + 1, runs)
    ops[(starts[:, None] + np.arange(span)).ravel()] = np.repeat(rng.integers(0, 3, runs), span).astype(np.int8)
    counts = np.where(ops == DELETE, 0, np.where(ops == INSERT, 2, 1))
    out = np.repeat(positions, counts)
    first = np.cumsum(counts) - counts  # where each source word's first output slot is
    fresh = np.concatenate((first[ops == SUBSTITUTE], first[ops == INSERT] + 1))
    out[fresh] = rng.integers(0, pool, len(fresh))
    return out


def iter_chunks(
    n_docs: int,
    dup_fraction: float = 0.2,
    edit_rates: Sequence[float] = EDIT_RATES,
    seed: int = DEFAULT_SEED,
    skew_copies: int = 0,
    doc_bytes: int = DOC_BYTES,
    chunk_docs: int = CHUNK_DOCS,
) -> Iterator[Chunk]:
    """The documents of ``generate`` in chunks of ``chunk_docs`` (plus the skew copies in chunks of the same size).

    A chunk depends only on (seed, chunk number, its size), so chunks can be made independently.
    """
    if not 0.0 <= dup_fraction < 1.0:
        raise ValueError(f"dup_fraction must be in [0, 1), got {dup_fraction}")
    if n_docs < 0 or skew_copies < 0:
        raise ValueError("n_docs and skew_copies must be >= 0")
    words, sizes = real_words()
    rates = np.asarray(edit_rates, dtype=np.float64)
    skew_source: tuple[str, str] | None = None
    for number, lo in enumerate(range(0, n_docs, chunk_docs)):
        m = min(chunk_docs, n_docs - lo)
        rng = np.random.default_rng([seed, number])
        n_dups = min(int(round(m * dup_fraction)), m - 1)
        order = rng.permutation(m)  # which slots hold base documents and which hold copies
        bases, dups = np.sort(order[: m - n_dups]), np.sort(order[m - n_dups :])
        positions: dict[int, np.ndarray] = {int(b): _base_positions(rng, sizes, doc_bytes) for b in bases}
        sources = rng.choice(bases, n_dups)
        dup_rates = rng.choice(rates, n_dups)
        spans = rng.choice(np.asarray(SPAN_LENGTHS), n_dups)
        planted: list[Planted] = []
        for slot, source, rate, span in zip(dups.tolist(), sources.tolist(), dup_rates.tolist(), spans.tolist()):
            positions[slot] = edit(rng, positions[source], rate, span, len(words))
            planted.append((doc_id(seed, lo + slot), doc_id(seed, lo + source), rate))
        ids = [doc_id(seed, lo + i) for i in range(m)]
        texts = [" ".join(words[positions[i]].tolist()) for i in range(m)]
        if skew_source is None:
            skew_source = (ids[int(bases[0])], texts[int(bases[0])])
        yield Chunk(ids, texts, planted)
    if skew_copies:
        if skew_source is None:  # no regular documents: the copied page is made on its own
            alone = _base_positions(np.random.default_rng([seed, SKEW_STREAM]), sizes, doc_bytes)
            page = " ".join(words[alone].tolist())
            skew_source = (doc_id(seed, n_docs), page)
            yield Chunk([skew_source[0]], [page], [])
            n_docs += 1
        source_id, text = skew_source
        for lo in range(0, skew_copies, chunk_docs):
            ids = [doc_id(seed, n_docs + i) for i in range(lo, min(skew_copies, lo + chunk_docs))]
            yield Chunk(ids, [text] * len(ids), [(i, source_id, 0.0) for i in ids])


def generate(
    n_docs: int,
    dup_fraction: float = 0.2,
    edit_rates: Sequence[float] = EDIT_RATES,
    seed: int = DEFAULT_SEED,
    skew_copies: int = 0,
    doc_bytes: int = DOC_BYTES,
) -> tuple[list[str], list[str], list[Planted]]:
    """GENERATED (ids, texts, planted): ``n_docs`` documents, ``dup_fraction`` of them near-duplicates of others.

    ``planted`` lists (dup_id, source_id, edit_rate) for every near-duplicate and every skew copy. With
    ``skew_copies`` = K, K verbatim copies of the first base document follow the ``n_docs`` documents.
    """
    ids: list[str] = []
    texts: list[str] = []
    planted: list[Planted] = []
    for chunk in iter_chunks(n_docs, dup_fraction, edit_rates, seed, skew_copies, doc_bytes):
        ids.extend(chunk.ids)
        texts.extend(chunk.texts)
        planted.extend(chunk.planted)
    return ids, texts, planted
