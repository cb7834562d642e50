"""Tests for etl.gold.minhash against datasketch (the oracle) and exact Jaccard of shingle sets. No Spark.

Data: 63 real OSCAR 22.01 records and 100 real Clough-Stevenson texts from tests/data, plus documents
GENERATED from them here (word drops/swaps, windows, case/punctuation noise, short and Chinese variants).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from datasketch import MinHash
from datasketch.lsh import _optimal_param

from etl.config import DedupConfig

from etl.gold.minhash import (
    EMPTY_VALUE,
    MAX_HASH,
    MERSENNE_PRIME,
    MinHasher,
    band_hashes,
    choose_kind,
    datasketch_permutations,
    estimate_jaccard,
    fast_shingle_hash,
    optimal_bands_rows,
    shingles,
)

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
DEDUP = DedupConfig()  # the product's parameters (256 permutations, seed 1, 5-grams): what MinHasher() uses
NGRAM = DEDUP.ngram
VARIANT_BASE_CHARS = 4000  # generated variants are cut from at most this much of a real text


def _read_text(path: Path) -> str:
    """Clough-Stevenson files are UTF-8 except a few in cp1252 (curly quotes)."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252")


def oscar_docs() -> list[str]:
    with open(DATA / "oscar_2021" / "oscar_22.01_sample_63docs.jsonl", encoding="utf-8") as fh:
        return [json.loads(line)["content"] for line in fh]


def clough_docs() -> dict[str, str]:
    return {p.name: _read_text(p) for p in sorted((DATA / "clough_stevenson" / "texts").glob("*.txt"))}


def generated_variants(texts: list[str], seed: int = 0) -> list[str]:
    """GENERATED documents: edits of real texts that exercise near-duplicates, short texts and odd characters."""
    rng = np.random.RandomState(seed)
    out: list[str] = []
    for text in texts:
        base = text[:VARIANT_BASE_CHARS]
        words = base.split()
        if not words:
            continue
        keep = rng.rand(len(words)) > 0.1
        out.append(" ".join(w for w, k in zip(words, keep) if k))  # ~10% of words dropped
        swapped = list(words)
        for i in rng.randint(0, len(words), size=max(1, len(words) // 20)):
            swapped[i] = words[rng.randint(len(words))]
        out.append(" ".join(swapped))  # ~5% of words replaced
        lo = rng.randint(0, max(1, len(words) - 50))
        out.append(" ".join(words[lo : lo + 50]))  # a 50-word window
        out.append(base.upper().replace(" ", " , ", 3))  # case and punctuation noise: same word tokens
        out.append(" ".join(words[: rng.randint(1, NGRAM)]))  # fewer than n words: one shingle
        out.append(base[: rng.randint(1, 12)])  # a few characters, often fewer than n of them
    return out


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    """163 real documents + ~980 generated ones + edge cases (>= 1,000 in all)."""
    real = oscar_docs() + list(clough_docs().values())
    edge = [None, "", "   ", "!!! ...", "a", "a b c d", "a b c d e", "İstanbul ŞEHİR", "x\udcff y snake_case"]
    docs = real + generated_variants(real) + edge
    assert len(docs) >= 1000
    return docs


def datasketch_signature(shingle_list: list[str], num_perm: int = DEDUP.num_perm, seed: int = DEDUP.seed,
                         batch: bool = True) -> np.ndarray:
    m = MinHash(num_perm=num_perm, seed=seed)
    encoded = [s.encode("utf-8") for s in shingle_list]
    if batch:
        if encoded:
            m.update_batch(encoded)
    else:
        for b in encoded:
            m.update(b)
    return m.hashvalues


# ---------------------------------------------------------------- datasketch parity


def test_permutations_equal_datasketch() -> None:
    for num_perm, seed in [(128, 1), (256, 42), (16, 7)]:
        a, b = datasketch_permutations(num_perm, seed)
        ref = MinHash(num_perm=num_perm, seed=seed).permutations
        assert np.array_equal(a, ref[0]) and np.array_equal(b, ref[1])


@pytest.mark.parametrize("kind", ["word", "auto"])
def test_datasketch_mode_equals_datasketch(corpus: list[str], kind: str) -> None:
    signatures, empty = MinHasher(replace(DEDUP, mode="datasketch", kind=kind)).signatures_with_empty(corpus)
    mismatched = []
    for i, doc in enumerate(corpus):
        expected = datasketch_signature(shingles(doc, NGRAM, kind))  # type: ignore[arg-type]
        if not np.array_equal(signatures[i].astype(np.uint64), expected):
            mismatched.append(i)
        assert empty[i] == (not shingles(doc, NGRAM, kind))  # type: ignore[arg-type]
    assert mismatched == []
    assert len(corpus) - int(empty.sum()) >= 1000


def test_datasketch_mode_char_ngrams_and_per_shingle_update() -> None:
    """Char n-grams, another num_perm/seed, a tiny chunk (documents split across chunks), datasketch ``update``."""
    docs = list(clough_docs().values())[:30] + [d for d in oscar_docs() if choose_kind(d) == "char"]
    hasher = MinHasher(DedupConfig(num_perm=64, seed=3, mode="datasketch", kind="char"), chunk_bytes=4096)
    signatures = hasher.signatures(docs)
    for doc, sig in zip(docs, signatures):
        expected = datasketch_signature(shingles(doc, NGRAM, "char"), num_perm=64, seed=3, batch=False)
        assert np.array_equal(sig.astype(np.uint64), expected)


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.7, 0.8, 0.85, 0.9])
@pytest.mark.parametrize("num_perm", [32, 128, 250])
def test_optimal_bands_rows_equals_datasketch(threshold: float, num_perm: int) -> None:
    assert optimal_bands_rows(threshold, num_perm) == _optimal_param(threshold, num_perm, 0.5, 0.5)


def test_optimal_bands_rows_weights() -> None:
    for fp, fn in [(0.3, 0.7), (0.9, 0.1)]:
        assert optimal_bands_rows(0.75, 128, fp, fn) == _optimal_param(0.75, 128, fp, fn)
    with pytest.raises(ValueError):
        optimal_bands_rows(1.5, 128)


# ---------------------------------------------------------------- fast mode


def test_fast_mode_equals_scalar_reference(corpus: list[str]) -> None:
    """The vectorised fast path hashes exactly the shingles of ``shingles`` with ``fast_shingle_hash``."""
    docs = corpus[60:70] + corpus[-12:] + [d for d in oscar_docs() if choose_kind(d) == "char"][:3]
    a, b = datasketch_permutations(DEDUP.num_perm, DEDUP.seed)
    signatures = MinHasher(replace(DEDUP, mode="fast", kind="auto"), chunk_bytes=8192).signatures(docs)
    for doc, sig in zip(docs, signatures):
        kind = choose_kind(doc)
        hv = np.array([fast_shingle_hash(s, kind) for s in shingles(doc, NGRAM, kind)], dtype=np.uint64)
        if len(hv) == 0:
            assert (sig == EMPTY_VALUE).all()
            continue
        expected = (((hv[:, None] * a + b) % MERSENNE_PRIME) & MAX_HASH).min(axis=0)
        assert np.array_equal(sig.astype(np.uint64), expected)


def test_fast_mode_independent_of_batching_and_chunking(corpus: list[str]) -> None:
    docs = corpus[:40] + corpus[-9:]
    whole = MinHasher().signatures(docs)
    assert np.array_equal(whole, MinHasher(chunk_bytes=2048).signatures(docs))
    order = np.random.RandomState(1).permutation(len(docs))
    assert np.array_equal(whole[order], MinHasher().signatures([docs[i] for i in order]))
    singles = np.vstack([MinHasher().signatures([d]) for d in docs])
    assert np.array_equal(whole, singles)


_DIGEST_SCRIPT = """
import hashlib, json, sys
sys.path.insert(0, {root!r})
from etl.gold.minhash import MinHasher, band_hashes
docs = json.load(open({path!r}))
sig = MinHasher().signatures(docs)
print(hashlib.sha256(sig.tobytes() + band_hashes(sig, 16, 8).tobytes()).hexdigest())
"""


def test_fast_mode_deterministic_across_processes(corpus: list[str], tmp_path: Path) -> None:
    """Same signatures and band hashes in fresh interpreters with different hash seeds (no use of ``hash()``)."""
    docs = [d for d in corpus[:20] + corpus[-9:] if d is not None and "\udcff" not in d]
    path = tmp_path / "docs.json"
    path.write_text(json.dumps(docs), encoding="utf-8")
    script = _DIGEST_SCRIPT.format(root=str(ROOT), path=str(path))
    digests = set()
    for hash_seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
        digests.add(result.stdout.strip())
    sig = MinHasher().signatures(docs)
    digests.add(hashlib.sha256(sig.tobytes() + band_hashes(sig, 16, 8).tobytes()).hexdigest())
    assert len(digests) == 1


# ---------------------------------------------------------------- shingling, empty and short documents


def test_shingles_word_and_short_and_empty() -> None:
    assert shingles(None) == [] and shingles("") == [] and shingles(" ,.; ") == []
    assert shingles("Hello, World!") == ["hello world"]  # fewer than n tokens: one shingle of all
    assert shingles("A b, c. d; e f", n=5) == ["a b c d e", "b c d e f"]
    assert shingles("abcdef", n=5, kind="char") == ["abcde", "bcdef"]
    assert shingles("ab c", n=5, kind="char") == ["abc"]
    with pytest.raises(ValueError):
        shingles("x", kind="bytes")  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", ["fast", "datasketch"])
def test_empty_documents_get_empty_signature_and_flag(mode: str) -> None:
    docs = [None, "", "   \n", "?!", "one", "Hello world"]
    signatures, empty = MinHasher(replace(DEDUP, mode=mode)).signatures_with_empty(docs)
    assert signatures.shape == (6, DEDUP.num_perm) and signatures.dtype == np.uint32
    assert empty.tolist() == [True, True, True, True, False, False]
    assert (signatures[:4] == EMPTY_VALUE).all()
    assert not (signatures[4:] == EMPTY_VALUE).all(axis=1).any()
    assert MinHasher(replace(DEDUP, mode=mode)).signatures([]).shape == (0, DEDUP.num_perm)


def test_chinese_uses_char_ngrams() -> None:
    """Real Chinese OSCAR docs without spaces pick char n-grams; a GENERATED near-copy is found similar."""
    chinese = [d for d in oscar_docs() if choose_kind(d) == "char"]
    assert len(chinese) >= 5
    assert all(choose_kind(d) == "word" for d in list(clough_docs().values())[:20])
    text = max(chinese, key=len)[:1500]
    assert shingles(text, 5, "auto") == shingles(text, 5, "char")
    assert all(len(s) == 5 and " " not in s for s in shingles(text, 5, "auto"))
    near = text[:700] + "，另外" + text[700:1400]  # GENERATED: an insertion and a trimmed tail
    auto = MinHasher(replace(DEDUP, kind="auto")).signatures([text, near])
    char = MinHasher(replace(DEDUP, kind="char")).signatures([text, near])
    assert np.array_equal(auto, char)
    exact = _jaccard(shingles(text, 5, "char"), shingles(near, 5, "char"))
    assert exact > 0.8 and abs(estimate_jaccard(auto[0], auto[1]) - exact) < 0.15


# ---------------------------------------------------------------- similarity and bands


def _jaccard(a: list[str], b: list[str]) -> float:
    sa, sb = set(a), set(b)
    return len(sa & sb) / len(sa | sb)


@pytest.mark.parametrize("mode", ["fast", "datasketch"])
def test_estimated_jaccard_tracks_exact_on_planted_near_duplicates(mode: str) -> None:
    """GENERATED near-duplicates of real Clough-Stevenson texts at several edit rates: estimate ~ exact Jaccard."""
    rng = np.random.RandomState(7)
    num_perm = 256
    originals, copies = [], []
    for text in list(clough_docs().values())[:60]:
        words = text.split()
        rate = rng.choice([0.01, 0.03, 0.08, 0.15])
        edited = [w if rng.rand() > rate else "planted" + str(rng.randint(10**6)) for w in words]
        originals.append(text)
        copies.append(" ".join(edited))
    hasher = MinHasher(DedupConfig(num_perm=num_perm, mode=mode, kind="word"))
    sig_a, sig_b = hasher.signatures(originals), hasher.signatures(copies)
    estimated = estimate_jaccard(sig_a, sig_b)
    exact = np.array([_jaccard(shingles(a), shingles(b)) for a, b in zip(originals, copies)])
    sigma = np.sqrt(exact * (1 - exact) / num_perm)
    assert np.all(np.abs(estimated - exact) <= 4 * sigma + 0.02)
    assert np.mean(np.abs(estimated - exact)) < 0.03
    assert exact.min() < 0.6 < 0.9 < exact.max()  # the edit rates span the thresholds that matter


def test_estimate_jaccard_shapes() -> None:
    a = np.array([1, 2, 3, 4], dtype=np.uint32)
    assert estimate_jaccard(a, a) == 1.0
    assert estimate_jaccard(a, np.array([1, 2, 0, 0], dtype=np.uint32)) == 0.5
    assert estimate_jaccard(np.vstack([a, a]), a).tolist() == [1.0, 1.0]
    with pytest.raises(ValueError):
        estimate_jaccard(a, a[:3])


def test_band_hashes() -> None:
    signatures = MinHasher().signatures(["the quick brown fox jumps over the lazy dog", "lorem ipsum dolor sit amet"])
    bands = band_hashes(signatures, 16, 8)
    assert bands.shape == (2, 16) and bands.dtype == np.int64
    assert np.array_equal(bands, band_hashes(signatures.copy(), 16, 8))
    assert len(set(bands[0].tolist())) == 16  # the band index is mixed in
    # Equal rows in one band give equal hashes there and only there.
    other = signatures[1].copy()
    other[8:16] = signatures[0, 8:16]
    mixed = band_hashes(np.vstack([signatures[0], other]), 16, 8)
    assert (mixed[0] == mixed[1]).tolist() == [i == 1 for i in range(16)]
    with pytest.raises(ValueError):
        band_hashes(signatures, 40, 8)  # 320 values > 256 permutations


def test_clough_stevenson_copies_score_above_independent_answers() -> None:
    """Real ground truth: cut/light answers resemble their source more than independently written ones."""
    texts = clough_docs()
    rows = (DATA / "clough_stevenson" / "file_information.csv").read_text().splitlines()[1:]
    pairs = [row.split(",") for row in rows]
    names = [name for name, _, category in pairs if category != "orig"]
    sources = [f"orig_task{task}.txt" for name, task, category in pairs if category != "orig"]
    hasher = MinHasher(DedupConfig(num_perm=256))
    similarity = estimate_jaccard(
        hasher.signatures([texts[n] for n in names]), hasher.signatures([texts[s] for s in sources])
    )
    category = np.array([c for _, _, c in pairs if c != "orig"])
    assert similarity[category == "cut"].mean() > 0.3 > similarity[category == "non"].max()


def test_minhasher_takes_the_dedup_config_as_is() -> None:
    """One set of parameters: MinHasher() hashes with the product's config, and a config's fields reach it unchanged."""
    assert MinHasher().cfg == DedupConfig()
    cfg = DedupConfig(num_perm=32, seed=9, ngram=3, mode="datasketch", kind="char")
    hasher = MinHasher(cfg)
    assert (hasher.num_perm, hasher.seed, hasher.ngram, hasher.mode, hasher.kind) == (32, 9, 3, "datasketch", "char")
    doc = "near duplicate detection with minhash"
    expected = datasketch_signature(shingles(doc, 3, "char"), num_perm=32, seed=9)
    assert np.array_equal(hasher.signatures([doc])[0].astype(np.uint64), expected)
