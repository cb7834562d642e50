"""langdetect's detection loop in numpy: the same random draws, the same stopping rule, the same answer.

langdetect is pure Python and spends most of its time multiplying its 55 language probabilities by each sampled
n-gram's profile, one float at a time, then renormalising every fifth draw. Here a trial's draws are taken in
chunks, the chunk's profile rows are gathered into a matrix and multiplied in the log domain (a cumulative sum),
and the convergence check runs on every fifth row at once. The random generator is advanced exactly as langdetect
advances it, so a text gets langdetect's answer (tests/silver/test_langid.py compares the two on real text).
"""

from __future__ import annotations

import numpy as np
from langdetect.detector import Detector
from langdetect.detector_factory import DetectorFactory
from langdetect.lang_detect_exception import ErrorCode, LangDetectException
from langdetect.language import Language
from langdetect.utils.ngram import NGram

CHUNK = 128  # draws per numpy step: a trial on WET text converges after about 130 draws
CHECK_EVERY = 5  # langdetect renormalises and tests convergence after every fifth draw
_normalized: dict[str, str] = {}  # NGram.normalize is a pure function of one character: computed once per character


def _normalize(ch: str) -> str:
    try:
        return _normalized[ch]
    except KeyError:
        _normalized[ch] = out = NGram.normalize(ch)
        return out


def extract_ngram_rows(text: str, index: dict[str, int]) -> list[int]:
    """`Detector._extract_ngrams` with NGram.add_char inlined and normalisation memoised: the profile rows of the
    1-, 2- and 3-grams of `text` that langdetect knows, in langdetect's order, skipping capitalised words."""
    rows: list[int] = []
    get, normalized = index.get, _normalized.get
    grams, capital = " ", False
    for ch in text:
        ch = normalized(ch) or _normalize(ch)  # normalised characters are never empty
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
    return rows


class ProfileMatrix:
    """The factory's n-gram profiles as one (n-grams x languages) array, built once per process."""

    def __init__(self, factory: DetectorFactory):
        self.words = list(factory.word_lang_prob_map)
        self.index = {word: i for i, word in enumerate(self.words)}
        self.matrix = np.array([factory.word_lang_prob_map[w] for w in self.words], dtype=np.float64)


def get_probabilities(detector: Detector, profiles: ProfileMatrix) -> list[Language]:
    """What `detector.get_probabilities()` returns, computed with numpy."""
    detector.cleaning_text()
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
    rnd = detector.random
    rnd.seed(detector.seed)
    total = np.zeros(n_langs)
    for _ in range(detector.n_trial):
        alpha = detector.alpha + rnd.gauss(0.0, 1.0) * detector.ALPHA_WIDTH
        total += _trial(detector, rows, profiles.matrix, start, alpha / detector.BASE_FREQ) / detector.n_trial
    return detector._sort_probability(total.tolist())


def _trial(detector: Detector, rows: np.ndarray, matrix: np.ndarray, start: np.ndarray, weight: float) -> np.ndarray:
    """One trial: draw n-grams until the normalised maximum exceeds the threshold at a check (or the limit)."""
    rnd, n = detector.random, len(rows)
    log_prob, done = start, 0
    while True:
        state = rnd.getstate()
        picks = [rnd._randbelow(n) for _ in range(CHUNK)]  # what random.choice(ngrams) draws
        with np.errstate(divide="ignore"):
            cumulative = log_prob + np.cumsum(np.log(weight + matrix[rows[picks]]), axis=0)
        draw = np.arange(done, done + CHUNK)
        checks = np.nonzero(draw % CHECK_EVERY == 0)[0]
        at = cumulative[checks]
        probs = np.exp(at - at.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        stops = np.nonzero((probs.max(axis=1) > detector.CONV_THRESHOLD)
                           | (draw[checks] >= detector.ITERATION_LIMIT))[0]
        if stops.size:
            used = checks[stops[0]] + 1
            rnd.setstate(state)  # leave the generator where langdetect's loop would have left it
            for _ in range(used):
                rnd._randbelow(n)
            return probs[stops[0]]
        log_prob, done = cumulative[-1], done + CHUNK
