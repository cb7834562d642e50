"""langdetect's detection loop in numpy: the same random draws, the same stopping rule, the same answer.

langdetect is pure Python and spends most of its time multiplying its 55 language probabilities by each sampled
n-gram's profile, one float at a time, then renormalising every fifth draw. Here a trial's draws are taken in
chunks, the chunk's profile rows are gathered into a matrix and multiplied in the log domain (a cumulative sum),
and the convergence check runs on every fifth row at once. The random generator is advanced exactly as langdetect
advances it, so a text gets langdetect's answer (tests/silver/test_langid.py compares the two on real text).
The draws themselves come from numpy's MT19937 started from the Python generator's state (the same Mersenne
Twister words, so the same `_randbelow` values), and the n-grams are extracted per word with a cache, because
langdetect's n-grams never span a space.
"""

from __future__ import annotations

import functools
import math
import random
import re

import numpy as np
from langdetect.detector import Detector
from langdetect.detector_factory import DetectorFactory
from langdetect.lang_detect_exception import ErrorCode, LangDetectException
from langdetect.language import Language
from langdetect.utils.ngram import NGram

CHUNK = 128  # draws per numpy step: a trial on WET text converges after about 130 draws
CHECK_EVERY = 5  # langdetect renormalises and tests convergence after every fifth draw
RAW_BLOCK = 2 * CHUNK + 64  # Mersenne Twister words drawn at a time; a pick rejects fewer than half of them
MT_WORD_BITS = 32  # random.getrandbits(k) for k <= 32 is one generator word shifted right by 32 - k
RANDOM_STATE_VERSION = 3  # random.Random.getstate()'s first element
WORD_CACHE_MAX = 500_000  # words whose n-gram rows are remembered per process; cleared when full to bound memory


class _Normalizer(dict):
    """str.translate table applying NGram.normalize (a pure function of one character), filled on first use."""

    def __missing__(self, code: int) -> str:
        self[code] = out = NGram.normalize(chr(code))
        return out


_NORMALIZE = _Normalizer()
# id(profile index) -> (that index, kept alive so its id is not reused; word (+ trailing space) -> rows)
_word_rows: dict[int, tuple[dict[str, int], dict[str, tuple[int, ...]]]] = {}
_SPACE_RUNS = re.compile(" {2,}")
_LATIN = re.compile("[A-z]")  # langdetect's 'A' <= ch <= 'z'
_NON_LATIN = re.compile("[^\x00-\u02ff\u1e00-\u1eff]")  # >= U+0300 and not Latin Extended Additional


def append_text(detector: Detector, text: str) -> None:
    """`Detector.append` without its per-character loop: URLs and e-mails blanked, Vietnamese normalised, the
    first `max_text_length` characters kept and runs of spaces collapsed to one."""
    text = detector.MAIL_RE.sub(" ", detector.URL_RE.sub(" ", text))
    text = NGram.normalize_vi(text)
    detector.text += _SPACE_RUNS.sub(" ", text[: detector.max_text_length])


def clean_text(detector: Detector) -> None:
    """`Detector.cleaning_text` with regex counts: drops Latin letters when non-Latin characters dominate."""
    text = detector.text
    if len(_LATIN.findall(text)) * 2 < len(_NON_LATIN.findall(text)):
        detector.text = _LATIN.sub("", text)


def extract_ngram_rows(text: str, index: dict[str, int]) -> list[int]:
    """`Detector._extract_ngrams`: the profile rows of the 1-, 2- and 3-grams of `text` that langdetect knows, in
    langdetect's order, skipping capitalised words. The n-gram state restarts at every space, so the text is
    normalised in one `translate`, split on spaces and each word's rows are looked up (computed on first sight)."""
    cache = _word_rows.setdefault(id(index), (index, {}))[1]
    if len(cache) > WORD_CACHE_MAX:
        cache.clear()
    rows: list[int] = []
    parts = text.translate(_NORMALIZE).split(" ")
    last = len(parts) - 1
    for i, part in enumerate(parts):
        if not part:
            continue
        key = part if i == last else part + " "  # a word followed by a space also yields its "x " and "xy " grams
        found = cache.get(key)
        if found is None:
            found = cache[key] = _word_ngram_rows(key, index)
        rows.extend(found)
    return rows


def _word_ngram_rows(word: str, index: dict[str, int]) -> tuple[int, ...]:
    """langdetect's n-gram loop (NGram.add_char inlined) over one normalised word and its trailing space."""
    rows: list[int] = []
    get = index.get
    grams, capital = " ", False
    for ch in word:
        last = grams[-1]
        if last == " ":
            grams, capital = " ", False
            if ch == " ":
                continue
        elif len(grams) >= NGram.N_GRAM:
            grams = grams[1:]
        grams += ch
        if ch.isupper():
            if last.isupper():
                capital = True
        else:
            capital = False
        if capital:
            continue
        if ch != " ":  # the 1-gram; longer grams never equal " "
            row = get(ch)
            if row is not None:
                rows.append(row)
        if len(grams) >= 2:
            row = get(grams[-2:])
            if row is not None:
                rows.append(row)
            if len(grams) == NGram.N_GRAM:
                row = get(grams)
                if row is not None:
                    rows.append(row)
    return tuple(rows)


class ProfileMatrix:
    """The factory's n-gram profiles as one (n-grams x languages) array, built once per process."""

    def __init__(self, factory: DetectorFactory):
        self.words = list(factory.word_lang_prob_map)
        self.index = {word: i for i, word in enumerate(self.words)}
        self.matrix = np.array([factory.word_lang_prob_map[w] for w in self.words], dtype=np.float64)


def get_probabilities(detector: Detector, profiles: ProfileMatrix) -> list[Language]:
    """What `detector.get_probabilities()` returns, computed with numpy; `detector.random` ends in the same state."""
    clean_text(detector)
    found = extract_ngram_rows(detector.text, profiles.index)
    if not found:
        raise LangDetectException(ErrorCode.CantDetectError, "No features in text.")
    rows = np.array(found, dtype=np.int64)
    n_langs = profiles.matrix.shape[1]
    if detector.prior_map is not None:
        with np.errstate(divide="ignore"):
            start = np.log(np.asarray(detector.prior_map, dtype=np.float64))
    else:
        start = np.full(n_langs, -np.log(n_langs))
    draws = TwisterDraws(detector.random, detector.seed)
    total = np.zeros(n_langs)
    with np.errstate(divide="ignore"):
        for _ in range(detector.n_trial):
            alpha = detector.alpha + draws.gauss() * detector.ALPHA_WIDTH
            weight = alpha / detector.BASE_FREQ
            total += _trial(detector, draws, rows, profiles.matrix, start, weight) / detector.n_trial
    draws.store(detector.random)
    return detector._sort_probability(total.tolist())


_RES53_HIGH, _RES53_SCALE = 67108864.0, 1.0 / 9007199254740992.0  # random.random() from two generator words
_TWO_PI = 2.0 * math.pi
_generator = np.random.MT19937(0)  # one numpy Mersenne Twister per process, its state set for each document


@functools.lru_cache(maxsize=16)
def _seeded_state(seed: int) -> tuple[np.ndarray, int]:
    """The generator words and position `random.Random(seed)` starts from."""
    internal = random.Random(seed).getstate()[1]
    return np.array(internal[:-1], dtype=np.uint32), internal[-1]


class TwisterDraws:
    """The words `detector.random` produces after `random.seed(detector.seed)`, read from numpy's MT19937 in blocks.

    Words are read ahead into a buffer and only those a draw uses are consumed; `gauss` repeats random.gauss's
    arithmetic, and `store` leaves the Python generator where langdetect's own loop would have left it."""

    def __init__(self, rnd: random.Random, seed: int | None):
        if seed is None:  # an unseeded detector: random.seed(None) draws OS entropy; start from that state
            rnd.seed(None)
            internal = rnd.getstate()[1]
            self._start = (np.array(internal[:-1], dtype=np.uint32), internal[-1])
        else:
            self._start = _seeded_state(seed)
        self._set_state(*self._start)
        self._buffer = np.empty(0, dtype=np.uint64)
        self.consumed = 0
        self.gauss_next: float | None = None

    @staticmethod
    def _set_state(key: np.ndarray, pos: int) -> None:
        _generator.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": pos}}

    def peek(self, n: int) -> np.ndarray:
        """The next `n` unconsumed words (read more when the buffer is short)."""
        if len(self._buffer) < n:
            more = _generator.random_raw(max(n - len(self._buffer), RAW_BLOCK))
            self._buffer = np.concatenate((self._buffer, more))
        return self._buffer[:n]

    def consume(self, n: int) -> None:
        self._buffer = self._buffer[n:]
        self.consumed += n

    def random(self) -> float:
        """random.random(): 53 bits from two words."""
        a, b = (int(w) for w in self.peek(2))
        self.consume(2)
        return ((a >> 5) * _RES53_HIGH + (b >> 6)) * _RES53_SCALE

    def gauss(self) -> float:
        """random.gauss(0.0, 1.0), with its cached second value."""
        z, self.gauss_next = self.gauss_next, None
        if z is None:
            x2pi = self.random() * _TWO_PI
            g2rad = math.sqrt(-2.0 * math.log(1.0 - self.random()))
            z = math.cos(x2pi) * g2rad
            self.gauss_next = math.sin(x2pi) * g2rad
        return 0.0 + z * 1.0

    def store(self, rnd: random.Random) -> None:
        """Put `rnd` in the state after the consumed words (replayed from the start: numpy has read ahead)."""
        self._set_state(*self._start)
        _generator.random_raw(self.consumed)
        state = _generator.state["state"]
        rnd.setstate((RANDOM_STATE_VERSION, tuple(state["key"].tolist()) + (int(state["pos"]),), self.gauss_next))


def _trial(detector: Detector, draws: TwisterDraws, rows: np.ndarray, matrix: np.ndarray, start: np.ndarray,
           weight: float) -> np.ndarray:
    """One trial: draw n-grams until the normalised maximum exceeds the threshold at a check (or the limit).

    `random.choice(ngrams)` reads `getrandbits(k)` (one generator word >> (32 - k)) until the value is below n; here
    the same words are filtered in numpy, and only the words up to the last pick the loop used are consumed."""
    n = len(rows)
    bits = n.bit_length()
    assert bits <= MT_WORD_BITS, "more n-grams than one generator word can index"  # text <= max_text_length
    shift = np.uint64(MT_WORD_BITS - bits)
    words = 0
    log_prob, done = start, 0
    while True:
        while True:
            words += RAW_BLOCK
            raw = draws.peek(words) >> shift
            accepted = np.flatnonzero(raw < n)
            if len(accepted) >= done + CHUNK:
                break
        picks = raw[accepted[done : done + CHUNK]].astype(np.int64)  # what random.choice(ngrams) draws
        cumulative = log_prob + np.cumsum(np.log(weight + matrix[rows[picks]]), axis=0)
        draw = np.arange(done, done + CHUNK)
        checks = np.nonzero(draw % CHECK_EVERY == 0)[0]
        at = cumulative[checks]
        probs = np.exp(at - at.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        stops = np.nonzero((probs.max(axis=1) > detector.CONV_THRESHOLD)
                           | (draw[checks] >= detector.ITERATION_LIMIT))[0]
        if stops.size:
            used = done + int(checks[stops[0]]) + 1
            draws.consume(int(accepted[used - 1]) + 1)
            return probs[stops[0]]
        log_prob, done = cumulative[-1], done + CHUNK
