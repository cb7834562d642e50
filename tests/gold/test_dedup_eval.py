"""The dedup evaluation's oracle and data: brute-force Jaccard against plain Python sets, and the GENERATED
near-duplicate generator (deterministic, plants what it reports)."""

from __future__ import annotations

import difflib
import itertools

import numpy as np
import pytest

from etl.synth.neardup import edit, generate, real_words
from etl.gold.minhash import shingles
from evals.dedup_eval import cluster_pairs, pair_jaccard, pair_metrics, set_jaccard, shingle_matrix, similar_pairs

N_ORACLE_DOCS = 200
ORACLE_MIN_JACCARD = 0.05  # low, so hundreds of unrelated-but-overlapping pairs are checked too


@pytest.fixture(scope="module")
def small_set():
    return generate(N_ORACLE_DOCS, dup_fraction=0.3, seed=11)


def test_brute_force_equals_python_sets(small_set):
    _, texts, _ = small_set
    sets = [set(shingles(t, 5, "word")) for t in texts]
    expected = {
        (i, j): set_jaccard(sets[i], sets[j])
        for i, j in itertools.combinations(range(len(texts)), 2)
        if set_jaccard(sets[i], sets[j]) >= ORACLE_MIN_JACCARD
    }
    x = shingle_matrix(texts, 5, "word")
    i, j, s = similar_pairs(x, min_jaccard=ORACLE_MIN_JACCARD, row_block=37)  # blocks not dividing 200
    got = dict(zip(zip(i.tolist(), j.tolist()), s.tolist()))
    assert got == expected  # same integer ratios, so equal floats
    assert len(expected) > 40


def test_pair_jaccard_on_arbitrary_pairs(small_set):
    _, texts, _ = small_set
    sets = [set(shingles(t, 5, "word")) for t in texts]
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, len(texts), 500), rng.integers(0, len(texts), 500)
    got = pair_jaccard(shingle_matrix(texts, 5, "word"), a, b, block=64)
    assert got.tolist() == [set_jaccard(sets[p], sets[q]) for p, q in zip(a, b)]


def test_empty_and_short_documents():
    texts = ["", "one two", "one two", "a b c d e f"]
    x = shingle_matrix(texts, 5, "word")
    i, j, s = similar_pairs(x, min_jaccard=0.5)
    assert list(zip(i.tolist(), j.tolist(), s.tolist())) == [(1, 2, 1.0)]
    assert pair_jaccard(x, np.array([0]), np.array([0])).tolist() == [0.0]


def test_generator_is_deterministic():
    first, again, other = generate(300, seed=3), generate(300, seed=3), generate(300, seed=4)
    assert first == again
    assert first[1] != other[1]


def test_generator_plants_what_it_reports():
    rates = (0.0, 0.05, 0.2)
    ids, texts, planted = generate(500, dup_fraction=0.2, edit_rates=rates, seed=9)
    text_of = dict(zip(ids, texts))
    assert len(ids) == len(set(ids)) == 500
    assert len(planted) == 100
    dups = {d for d, _, _ in planted}
    for dup, source, rate in planted:
        assert source in text_of and source not in dups and rate in rates
        a, b = text_of[source].split(), text_of[dup].split()
        if rate == 0.0:
            assert a == b
            continue
        changed = 1.0 - difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()
        assert 0.0 < changed <= 2 * rate + 0.02  # a substitution changes one word on each side
    sizes = [len(t.encode("utf-8")) for d, t in text_of.items() if d not in dups]
    assert 2000 <= np.median(sizes) <= 2200


def test_edit_rate_lowers_jaccard():
    _, texts, planted = generate(2000, edit_rates=(0.02, 0.3), seed=1)
    position = {d: k for k, d in enumerate(generate(2000, edit_rates=(0.02, 0.3), seed=1)[0])}
    x = shingle_matrix(texts, 5, "word")
    j = pair_jaccard(x, np.array([position[d] for d, _, _ in planted]), np.array([position[s] for _, s, _ in planted]))
    rates = np.array([r for _, _, r in planted])
    assert np.median(j[rates == 0.02]) > 0.8 > np.median(j[rates == 0.3])


def test_edit_operations():
    rng = np.random.default_rng(0)
    words = np.arange(1000, dtype=np.int64)
    assert np.array_equal(edit(rng, words, 0.0, 4, len(real_words()[0])), words)
    edited = edit(rng, words, 0.1, 1, len(real_words()[0]))
    assert 900 <= len(edited) <= 1100 and not np.array_equal(edited, words)


def test_skew_copies_are_verbatim():
    ids, texts, planted = generate(50, skew_copies=20, seed=2)
    assert len(ids) == 70
    copies = planted[-20:]
    source = copies[0][1]
    assert all(s == source and r == 0.0 for _, s, r in copies)
    assert set(texts[-20:]) == {texts[ids.index(source)]}
    only_skew = generate(0, skew_copies=5)
    assert len(only_skew[0]) == 6 and len(set(only_skew[1])) == 1


def test_pair_metrics_definitions():
    truth = (np.array([0, 0, 2]), np.array([1, 3, 3]), np.array([0.95, 0.55, 0.85]))
    pi, pj = cluster_pairs([[0, 1, 4]])  # predicts (0,1), (0,4), (1,4)
    m = pair_metrics(5, truth, (pi, pj), np.array([0.95, 0.75, 0.3]))
    assert (m["true_pairs"], m["predicted_pairs"]) == (2, 3)
    assert m["recall"] == 0.5  # (0,1) found, (2,3) missed
    assert m["precision"] == round(1 / 3, 4) and m["precision_tol"] == round(2 / 3, 4)
    assert m["curve"][-1] == {"bucket": "[0.9, 1.0]", "pairs": 1, "recalled": 1, "recall": 1.0,
                              "predicted_pairs": 1, "share_of_predicted": round(1 / 3, 4)}


@pytest.mark.slow
def test_pipeline_clusters_recall_planted_copies(spark):
    from etl.config import DedupConfig
    from evals.dedup_eval import pipeline_clusters

    ids, texts, _ = generate(400, edit_rates=(0.0, 0.02), seed=5)
    x = shingle_matrix(texts)
    i, j, s = similar_pairs(x, min_jaccard=0.9)
    members, removed = pipeline_clusters(spark, ids, texts, DedupConfig(threshold=0.8))
    together = [members.get(ids[a]) is not None and members.get(ids[a]) == members.get(ids[b]) for a, b in zip(i, j)]
    assert len(together) > 20 and all(together)
    assert all(members[d] == members[s] for d, s in removed)
