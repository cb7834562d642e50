"""MinHash signatures for near-duplicate detection, computed for a whole batch of documents with numpy.

Shingles are word n-grams (text-dedup style) or, for scripts written without spaces, character n-grams.
Both hash modes share datasketch's permutation arithmetic, so ``mode="datasketch"`` is bit-identical to
``datasketch.MinHash`` and ``mode="fast"`` differs only in the (much cheaper) shingle hash.
No Spark here: this module is what the Spark workers call once per Arrow batch.
"""

from __future__ import annotations

import hashlib
import re
import struct
from functools import lru_cache
from typing import Iterator, Literal, NamedTuple, Sequence

import numpy as np

from etl.config import SHINGLE_KINDS, DedupConfig

ShingleKind = Literal["word", "char", "auto"]

DEDUP = DedupConfig()  # the product's parameters: the defaults here are its, never a second set

# datasketch.minhash constants: permutations are (a*h + b) mod (2^61 - 1), truncated to 32 bits.
MERSENNE_PRIME = np.uint64((1 << 61) - 1)
MAX_HASH = np.uint64((1 << 32) - 1)
# Signature value of an empty document: datasketch initialises every slot to _max_hash.
EMPTY_VALUE = np.uint32((1 << 32) - 1)

# Auto shingling: space-delimited languages have a space or line break every 6-10 characters
# (5.9-10.0 on the 63 OSCAR sample docs); Chinese/Japanese/Thai text has far fewer (tens of characters
# apart). Beyond this spacing, word n-grams would be whole clauses, so use characters.
MAX_CHARS_PER_WORD = 12.0

# Working set of one permutation chunk. ~1 MB stays in L2, which makes the ~8 elementwise passes
# about twice as fast as on a 64 MB chunk; MAX_CHUNK_BYTES is the hard ceiling callers may ask for.
DEFAULT_CHUNK_BYTES = 1 << 20
MAX_CHUNK_BYTES = 64 << 20
# Code points tokenised and hashed per group (each costs ~40 bytes of temporaries): bounds memory
# per call whatever the batch size (a single document larger than this is processed on its own).
GROUP_CODE_POINTS = 1 << 20

# Fast shingle hash. A token hashes as a polynomial over its code points mod 2^64 (odd base, so it is
# invertible mod 2^64 and every token's hash comes from one prefix sum), plus its length, through the
# murmur3 finaliser; an n-gram is a polynomial over its token hashes plus its token count, finalised again.
_POLY_BASE = np.uint64(0x9E3779B97F4A7C15)
_POLY_BASE_INV = np.uint64(pow(0x9E3779B97F4A7C15, -1, 1 << 64))
_NGRAM_BASE = np.uint64(0x100000001B3)
_LENGTH_SALT = np.uint64(0xC2B2AE3D27D4EB4F)
_FMIX_C1 = np.uint64(0xFF51AFD7ED558CCD)
_FMIX_C2 = np.uint64(0xC4CEB9FE1A85EC53)
_BAND_SEED = np.uint64(0x27D4EB2F165667C5)

_WORD = re.compile(r"\w+")
_NON_WORD = re.compile(r"\W+")
_UNICODE_SIZE = 0x110000
_SURROGATES = (0xD800, 0xE000)
_U64 = np.uint64
_MASK64 = (1 << 64) - 1


# ---------------------------------------------------------------- shingling (reference, per text)


def choose_kind(text: str | None) -> Literal["word", "char"]:
    """Word n-grams unless the text has fewer than one space or line break per MAX_CHARS_PER_WORD characters."""
    if not text:
        return "word"
    breaks = text.count(" ") + text.count("\n")
    return "char" if len(text) > MAX_CHARS_PER_WORD * (breaks + 1) else "word"


def _word_normal(text: str) -> str:
    """Lowercased \\w+ tokens joined by one space: the string word shingles are cut from."""
    return " ".join(_WORD.findall(text.lower()))


def _char_normal(text: str) -> str:
    """Lowercased text without non-word characters, so spacing and punctuation variants shingle alike."""
    return _NON_WORD.sub("", text.lower())


def shingles(text: str | None, n: int = DEDUP.ngram, kind: ShingleKind = "word") -> list[str]:
    """The n-gram shingles of ``text`` in order (may repeat; use ``set()`` for Jaccard).

    word: lowercase, split on runs of non-word characters (Unicode ``\\w``), n tokens joined by one space.
    char: n consecutive characters of the lowercased text with non-word characters removed.
    auto: ``choose_kind``. Fewer than n tokens give one shingle of all of them; empty/None gives none.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if not text:
        return []
    if kind == "auto":
        kind = choose_kind(text)
    if kind == "word":
        tokens = _WORD.findall(text.lower())
        if len(tokens) < n:
            return [" ".join(tokens)] if tokens else []
        return [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    if kind == "char":
        chars = _char_normal(text)
        if len(chars) < n:
            return [chars] if chars else []
        return [chars[i : i + n] for i in range(len(chars) - n + 1)]
    raise ValueError(f"kind must be one of {', '.join(SHINGLE_KINDS)}, got {kind!r}")


def sha1_hash32(data: bytes) -> int:
    """datasketch's default shingle hash: the first 4 bytes of SHA-1, little-endian."""
    return struct.unpack("<I", hashlib.sha1(data).digest()[:4])[0]


def fmix64(x: np.ndarray) -> np.ndarray:
    """murmur3's 64-bit finaliser (vectorised, wraps mod 2^64): spreads every input bit over the output."""
    x = x ^ (x >> _U64(33))
    x *= _FMIX_C1
    x ^= x >> _U64(33)
    x *= _FMIX_C2
    x ^= x >> _U64(33)
    return x


def _fmix64_int(value: int) -> int:
    return int(fmix64(np.array([value], dtype=np.uint64))[0])


def fast_shingle_hash(shingle: str, kind: Literal["word", "char"] = "word") -> int:
    """Scalar reference of the fast mode's 32-bit hash of one shingle from ``shingles`` (the vectorised path equals it)."""
    tokens = shingle.split(" ") if kind == "word" else list(shingle)
    acc = 0
    for token in tokens:
        poly, power = 0, 1
        for ch in token:
            poly = (poly + ord(ch) * power) & _MASK64
            power = (power * int(_POLY_BASE)) & _MASK64
        token_hash = _fmix64_int((poly + len(token) * int(_LENGTH_SALT)) & _MASK64)
        acc = (acc * int(_NGRAM_BASE) + token_hash) & _MASK64
    return _fmix64_int((acc + len(tokens) * int(_LENGTH_SALT)) & _MASK64) >> 32


# ---------------------------------------------------------------- fast mode (vectorised, per batch)


@lru_cache(maxsize=1)
def _word_table() -> np.ndarray:
    """bool per Unicode code point: does ``re`` count it as \\w? Built from the regex itself, so it agrees."""
    points = np.concatenate(
        (np.arange(_SURROGATES[0], dtype=np.uint32), np.arange(_SURROGATES[1], _UNICODE_SIZE, dtype=np.uint32))
    )
    table = np.zeros(_UNICODE_SIZE, dtype=bool)
    for match in _WORD.finditer(points.tobytes().decode("utf-32-le")):
        table[points[match.start() : match.end()]] = True
    return table


_power_cache: tuple[np.ndarray, np.ndarray] = (np.ones(1, dtype=np.uint64), np.ones(1, dtype=np.uint64))


def _powers(size: int) -> tuple[np.ndarray, np.ndarray]:
    """(BASE^j, BASE^-j) mod 2^64 for j < size; kept per worker up to 2 groups' worth (32 MB) as they never change."""
    global _power_cache
    if len(_power_cache[0]) >= size:
        return _power_cache[0][:size], _power_cache[1][:size]
    length = min(max(size, 2 * len(_power_cache[0])), 2 * GROUP_CODE_POINTS)
    length = max(length, size)
    tables = []
    for base in (_POLY_BASE, _POLY_BASE_INV):
        table = np.full(length, base, dtype=np.uint64)
        table[0] = 1
        np.multiply.accumulate(table, out=table)
        tables.append(table)
    if length <= 2 * GROUP_CODE_POINTS:
        _power_cache = (tables[0], tables[1])
    return tables[0][:size], tables[1][:size]


def _fast_hashes(lowered: list[str], n: int, kind: Literal["word", "char"],
                 full64: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(32-bit shingle hashes as uint64, shingles per document) for lowercased documents, all in numpy.

    Tokenises with a code-point table instead of the regex (same tokens as ``shingles``, ~7x faster).
    ``full64`` keeps all 64 bits (for exact set comparison, where 32-bit collisions would count as shared shingles).
    """
    # One space between documents keeps their tokens apart; surrogatepass because a str may hold lone
    # surrogates (from surrogateescape decoding), which are non-word characters like in the regex.
    joined = " ".join(lowered)
    cps = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    word = np.take(_word_table(), cps)  # np.take: twice as fast as fancy indexing here
    doc_start = np.cumsum([0] + [len(s) + 1 for s in lowered[:-1]], dtype=np.int64)
    cps64 = cps.astype(np.uint64)
    if kind == "word":
        edges = np.diff(np.concatenate(([0], word.view(np.int8), [0])))
        tok_start = np.flatnonzero(edges == 1)
        tok_end = np.flatnonzero(edges == -1)
        power, inverse = _powers(len(cps) + 1)
        prefix = np.zeros(len(cps) + 1, dtype=np.uint64)
        np.cumsum(cps64 * power[:-1], out=prefix[1:])
        # Shift each token's sum down to position 0 so equal tokens hash equally wherever they occur.
        poly = (np.take(prefix, tok_end) - np.take(prefix, tok_start)) * np.take(inverse, tok_start)
        poly += (tok_end - tok_start).astype(np.uint64) * _LENGTH_SALT
    else:
        tok_start = np.flatnonzero(word)
        poly = np.take(cps64, tok_start) + _LENGTH_SALT  # the same formula for a one-character token
    token_hash = fmix64(poly)
    first_token = np.searchsorted(tok_start, doc_start)
    tokens = np.diff(np.append(first_token, len(tok_start)))
    counts = np.where(tokens >= n, tokens - n + 1, (tokens > 0).astype(np.int64))
    first, width = _ngram_layout(tokens, counts, n)
    acc = np.zeros(len(first), dtype=np.uint64)
    short = bool((width < n).any())
    for j in range(n):
        if short:  # documents with fewer than n tokens: their one shingle stops at its last token
            take = j < width
            step = acc * _NGRAM_BASE + np.take(token_hash, np.where(take, first + j, first))
            acc = np.where(take, step, acc)
        else:
            acc = acc * _NGRAM_BASE + np.take(token_hash, first + j)
    acc += width.astype(np.uint64) * _LENGTH_SALT
    return (fmix64(acc) if full64 else fmix64(acc) >> _U64(32)), counts


def word_ngram_hashes(texts: Sequence[str], n: int) -> tuple[np.ndarray, np.ndarray]:
    """(64-bit hashes of every word n-gram as int64, n-grams per text), grouped by text in order.

    The tokens of ``shingles(kind="word")`` (lowercased ``\\w+``); a text with fewer than n tokens has one n-gram of
    all of them, whose hash differs from any longer n-gram's (the token count is hashed in); empty texts have none.
    """
    if not texts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    hashes, counts = _fast_hashes([t.lower() for t in texts], n, "word", full64=True)
    return hashes.view(np.int64), counts


def _ngram_layout(tokens: np.ndarray, counts: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """For every shingle (grouped by document, in order): index of its first token and its token count."""
    total = int(counts.sum())
    tok_off = np.concatenate(([0], np.cumsum(tokens)[:-1]))
    sh_off = np.concatenate(([0], np.cumsum(counts)[:-1]))
    first = np.repeat(tok_off - sh_off, counts) + np.arange(total, dtype=np.int64)
    width = np.repeat(np.minimum(tokens, n), counts)
    return first, width


# ---------------------------------------------------------------- datasketch mode (exact shingle bytes)


class _Spans(NamedTuple):
    """Shingles of a group of documents as [start, end) code-point ranges into one joined string."""

    joined: str
    starts: np.ndarray  # int64, one per shingle, grouped by document in document order
    ends: np.ndarray
    counts: np.ndarray  # int64 shingles per document (0 for empty documents)


def _spans(normals: list[str], n: int, kind: Literal["word", "char"]) -> _Spans:
    """Locate every shingle of already-normalised documents without building the shingle strings."""
    if kind == "word":
        # Tokens are separated by exactly one space; documents too (empty ones are left out of the join).
        joined = " ".join(s for s in normals if s)
        tokens = np.array([s.count(" ") + 1 if s else 0 for s in normals], dtype=np.int64)
        cps = np.frombuffer(joined.encode("utf-32-le"), dtype="<u4")
        spaces = np.flatnonzero(cps == np.uint32(ord(" ")))
        tok_start = np.concatenate(([0], spaces + 1)).astype(np.int64)
        tok_end = np.concatenate((spaces, [len(cps)])).astype(np.int64)
    else:
        joined = "".join(normals)
        tokens = np.array([len(s) for s in normals], dtype=np.int64)
        tok_start = np.arange(len(joined), dtype=np.int64)
        tok_end = tok_start + 1
    counts = np.where(tokens >= n, tokens - n + 1, (tokens > 0).astype(np.int64))
    first, width = _ngram_layout(tokens, counts, n)
    return _Spans(joined, tok_start[first], tok_end[first + width - 1], counts)


def _sha1_hashes(normals: list[str], n: int, kind: Literal["word", "char"]) -> tuple[np.ndarray, np.ndarray]:
    """(datasketch-compatible hashes as uint64, shingles per document); repeated shingles are hashed once."""
    spans = _spans(normals, n, kind)
    cache: dict[str, int] = {}
    joined = spans.joined
    out = np.empty(len(spans.starts), dtype=np.uint64)
    for i, (s, e) in enumerate(zip(spans.starts.tolist(), spans.ends.tolist())):
        shingle = joined[s:e]
        value = cache.get(shingle)
        if value is None:
            value = cache[shingle] = sha1_hash32(shingle.encode("utf-8"))
        out[i] = value
    return out, spans.counts


# ---------------------------------------------------------------- permutations


def datasketch_permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(a, b) exactly as ``datasketch.MinHash._init_permutations``: interleaved draws from RandomState(seed)."""
    gen = np.random.RandomState(seed)
    pairs = np.array(
        [
            (gen.randint(1, MERSENNE_PRIME, dtype=np.uint64), gen.randint(0, MERSENNE_PRIME, dtype=np.uint64))
            for _ in range(num_perm)
        ],
        dtype=np.uint64,
    ).T
    return np.ascontiguousarray(pairs[0]), np.ascontiguousarray(pairs[1])


class MinHasher:
    """Batch MinHash: built once per worker (permutations are the costly part to keep), then ``signatures``.

    Takes the dedup config as-is (num_perm, seed, ngram, mode, kind; checked when it was built); ``chunk_bytes``
    only sizes the working set.
    """

    def __init__(self, cfg: DedupConfig = DEDUP, chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> None:
        if not 0 < chunk_bytes <= MAX_CHUNK_BYTES:
            raise ValueError(f"chunk_bytes must be in (0, {MAX_CHUNK_BYTES}], got {chunk_bytes}")
        self.cfg = cfg
        self.num_perm, self.seed, self.ngram = cfg.num_perm, cfg.seed, cfg.ngram
        self.mode, self.kind = cfg.mode, cfg.kind
        a, b = datasketch_permutations(self.num_perm, self.seed)
        # Column vectors: the work array is permutation-major (num_perm, shingles) so the per-document
        # minimum is a contiguous reduceat along the last axis (10x faster than along axis 0).
        self._a, self._b = a[:, None], b[:, None]
        self._chunk = max(1, chunk_bytes // (8 * self.num_perm))

    def signatures(self, texts: Sequence[str | None]) -> np.ndarray:
        """uint32 array (len(texts), num_perm); empty/None documents get EMPTY_VALUE everywhere."""
        return self.signatures_with_empty(texts)[0]

    def signatures_with_empty(self, texts: Sequence[str | None]) -> tuple[np.ndarray, np.ndarray]:
        """(signatures, empty) where ``empty[i]`` marks documents with no shingle, which callers should skip."""
        out = np.full((len(texts), self.num_perm), EMPTY_VALUE, dtype=np.uint32)
        empty = np.ones(len(texts), dtype=bool)
        for kind, rows, prepared in self._batches(texts, fast=self.mode == "fast"):
            if self.mode == "fast":
                hashes, counts = _fast_hashes(prepared, self.ngram, kind)
            else:
                hashes, counts = _sha1_hashes(prepared, self.ngram, kind)
            has = counts > 0
            idx = rows[has]
            if len(idx):
                out[idx] = self._min_permuted(hashes, counts[has])
                empty[idx] = False
        return out, empty

    def shingle_sets(self, texts: Sequence[str | None]) -> tuple[np.ndarray, np.ndarray]:
        """(values, lengths): each document's distinct shingles as sorted 64-bit hashes, concatenated in input order.

        For exact Jaccard verification of candidate pairs: the same shingles as the signatures (n-gram size and
        word/char kind), hashed to 64 bits so that two different shingles collide with probability ~2^-64.
        """
        parts: list[np.ndarray] = [np.empty(0, dtype=np.uint64)] * len(texts)
        for kind, rows, lowered in self._batches(texts, fast=True):
            hashes, counts = _fast_hashes(lowered, self.ngram, kind, full64=True)
            for row, chunk in zip(rows.tolist(), np.split(hashes, np.cumsum(counts)[:-1])):
                parts[row] = np.unique(chunk)
        lengths = np.fromiter((len(p) for p in parts), dtype=np.int64, count=len(parts))
        values = np.concatenate(parts) if parts else np.empty(0, dtype=np.uint64)
        return values, lengths

    def _batches(self, texts: Sequence[str | None],
                 fast: bool) -> Iterator[tuple[Literal["word", "char"], np.ndarray, list[str]]]:
        """(kind, row numbers, prepared texts) per group of at most GROUP_CODE_POINTS, empty texts left out.

        Prepared = lowercased for the fast hashes, datasketch's normalisation of the kind otherwise.
        """
        by_kind: dict[str, tuple[list[int], list[str]]] = {"word": ([], []), "char": ([], [])}
        for i, text in enumerate(texts):
            if not text:
                continue
            kind = choose_kind(text) if self.kind == "auto" else self.kind
            if fast:
                prepared = text.lower()
            else:
                prepared = _word_normal(text) if kind == "word" else _char_normal(text)
            by_kind[kind][0].append(i)
            by_kind[kind][1].append(prepared)
        for kind, (rows, prepared) in by_kind.items():
            for lo, hi in _groups([len(s) for s in prepared], GROUP_CODE_POINTS):
                yield kind, np.asarray(rows[lo:hi], dtype=np.int64), prepared[lo:hi]  # type: ignore[misc]

    def _min_permuted(self, hashes: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """Per document and permutation, min over its shingles of ((a*h + b) mod 2^64 mod p) & MAX_HASH.

        Matches datasketch's uint64 arithmetic (including the wraparound of a*h) exactly. ``x mod p`` with
        p = 2^61-1 is folded: s = (x & p) + (x >> 61) is congruent to x and lies in [0, p+7], and s - p
        (needed when s >= p, which has odds ~2^-58 per value) has the same low 32 bits as s + 1.
        """
        docs = len(counts)
        result = np.full((docs, self.num_perm), EMPTY_VALUE, dtype=np.uint32)
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))  # every count is >= 1 here
        total = len(hashes)
        width = min(self._chunk, total)
        x = np.empty((self.num_perm, width), dtype=np.uint64)
        tmp = np.empty_like(x)
        low = np.empty((self.num_perm, width), dtype=np.uint32)
        for c0 in range(0, total, width):
            c1 = min(total, c0 + width)
            w = c1 - c0
            xv, tv, lv = x[:, :w], tmp[:, :w], low[:, :w]
            np.multiply(self._a, hashes[None, c0:c1], out=xv)
            xv += self._b
            np.right_shift(xv, _U64(61), out=tv)
            xv &= MERSENNE_PRIME
            xv += tv
            if xv.max() >= MERSENNE_PRIME:  # one cheap pass instead of three for a ~never case
                xv += (xv + _U64(1)) >> _U64(61)
            np.copyto(lv, xv, casting="unsafe")  # truncation to uint32 is the & MAX_HASH
            # Documents overlapping this chunk; one split across chunks is min-merged into result.
            d0 = int(np.searchsorted(starts, c0, side="right")) - 1
            d1 = int(np.searchsorted(starts, c1, side="left"))
            seg = starts[d0:d1] - c0
            seg[0] = 0
            mins = np.minimum.reduceat(lv, seg, axis=1).T
            np.minimum(result[d0:d1], mins, out=result[d0:d1])
        return result


def _groups(lengths: list[int], budget: int) -> list[tuple[int, int]]:
    """Consecutive [lo, hi) ranges whose summed lengths stay within budget (a single long item stands alone)."""
    groups, lo, size = [], 0, 0
    for i, length in enumerate(lengths):
        if i > lo and size + length > budget:
            groups.append((lo, i))
            lo, size = i, 0
        size += length
    if lo < len(lengths):
        groups.append((lo, len(lengths)))
    return groups


# ---------------------------------------------------------------- LSH parameters, bands, similarity


@lru_cache(maxsize=256)
def optimal_bands_rows(
    threshold: float,
    num_perm: int,
    false_positive_weight: float = 0.5,
    false_negative_weight: float = 0.5,
) -> tuple[int, int]:
    """(bands, rows) minimising the weighted false positive/negative areas, as datasketch's ``_optimal_param``.

    The integrands 1-(1-s^r)^b are polynomials of degree b*r <= num_perm, so Gauss-Legendre with
    num_perm//2 + 1 nodes integrates them exactly (to rounding): no scipy, all (b, r) pairs at once.
    Pairs are scanned in datasketch's order and the first minimum wins, as with its strict ``<``.
    """
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be in [0, 1], got {threshold}")
    if num_perm < 1:
        raise ValueError(f"num_perm must be >= 1, got {num_perm}")
    pairs = [(b, r) for b in range(1, num_perm + 1) for r in range(1, num_perm // b + 1)]
    bands = np.array([p[0] for p in pairs], dtype=np.float64)[:, None]
    rows = np.array([p[1] for p in pairs], dtype=np.float64)[:, None]
    nodes, weights = np.polynomial.legendre.leggauss(num_perm // 2 + 1)

    def integral(lo: float, hi: float, negative: bool) -> np.ndarray:
        s = (hi - lo) / 2.0 * (nodes + 1.0) + lo
        collision = 1.0 - (1.0 - s[None, :] ** rows) ** bands
        values = 1.0 - collision if negative else collision
        return (values * weights[None, :]).sum(axis=1) * (hi - lo) / 2.0

    error = (
        integral(0.0, threshold, negative=False) * false_positive_weight
        + integral(threshold, 1.0, negative=True) * false_negative_weight
    )
    return pairs[int(np.argmin(error))]


def band_hashes(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """int64 (n, bands): a 64-bit hash of each band's ``rows`` consecutive values (band i = columns i*r..i*r+r-1).

    Signed so it maps to Spark LongType; the band index is mixed in so equal values in different bands differ.
    """
    sig = np.asarray(signatures)
    if sig.ndim != 2:
        raise ValueError(f"signatures must be 2-D, got shape {sig.shape}")
    if bands < 1 or rows < 1 or bands * rows > sig.shape[1]:
        raise ValueError(f"bands*rows = {bands}*{rows} must be in [1, num_perm={sig.shape[1]}]")
    values = sig[:, : bands * rows].astype(np.uint64).reshape(len(sig), bands, rows)
    with np.errstate(over="ignore"):
        acc = np.broadcast_to(np.arange(bands, dtype=np.uint64) + _BAND_SEED, (len(sig), bands)).copy()
        for j in range(rows):
            acc = fmix64(acc ^ values[:, :, j])
    return acc.view(np.int64)


def estimate_jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> float | np.ndarray:
    """Fraction of equal slots along the last axis (datasketch's ``MinHash.jaccard``); broadcasts over rows."""
    a, b = np.asarray(sig_a), np.asarray(sig_b)
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"signature lengths differ: {a.shape[-1]} vs {b.shape[-1]}")
    result = np.mean(a == b, axis=-1)
    return float(result) if np.ndim(result) == 0 else result
