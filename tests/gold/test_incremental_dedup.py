"""Incremental dedup equals a full recompute over the union: three increments, a bridge, a new survivor.

`apply` mirrors what etl/gold/build.py writes for a DedupUpdate (append the new index rows and edges, delete the
re-rooted buckets' edges and the touched documents' rows, append their new rows); the pipeline tests check the
Delta writes themselves. Oracles: `full_dedup` over the union (the same graph definition computed from nothing)
and exact Jaccard of Python shingle sets for the planted structure.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from etl.config import DedupConfig
from etl.gold.dedup import STAGE_NEAR, History, full_dedup, update
from etl.gold.minhash import shingles
from evals.dedup_eval import set_jaccard

CFG = DedupConfig()  # the product defaults: the path production runs
SCHEMA = "doc_id string, text string, gopher_n_words int, warc_date timestamp"


def _tokens(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [f"w{rng.randrange(100_000)}" for _ in range(n)]


def _doc(doc_id: str, words: list[str]):
    return (doc_id, " ".join(words), len(words), None)


@pytest.fixture(scope="module")
def increments() -> list[list[tuple]]:
    """Three increments over one history (ids chosen so that roots and survivors move):

    1. cluster A (m10, m11: a span and a near copy), cluster B (m20, m21), two unrelated documents;
    2. a bridge `a05` whose text overlaps A's and B's (J >= 0.8 to both) and whose id is smaller than every
       old id, so it becomes the root of the old buckets it joins;
    3. `z90`, a longer version of A's text (more words: the new survivor), and `z91`, an exact copy of m20.
    """
    s = _tokens(400, seed=7)
    a, b, bridge = s[0:250], s[50:300], s[25:275]
    first = [_doc("m10", a), _doc("m11", a[:245] + ["x1", "x2"]), _doc("m20", b), _doc("m21", ["y1"] + b[1:]),
             _doc("m30", _tokens(200, seed=1)), _doc("m40", _tokens(150, seed=2))]
    second = [_doc("a05", bridge), _doc("m50", _tokens(180, seed=3))]
    third = [_doc("z90", s[0:262]), _doc("z91", b), _doc("m60", _tokens(220, seed=4))]
    return [first, second, third]


@dataclass
class State:
    docs: DataFrame
    index: DataFrame
    edges: DataFrame
    clusters: DataFrame
    duplicates: DataFrame


def apply(state: State, upd, new_docs: DataFrame) -> State:
    touched = upd.touched.select("doc_id")
    return State(
        docs=state.docs.unionByName(new_docs),
        index=state.index.unionByName(upd.new_index),
        edges=state.edges.join(upd.dropped_buckets, "bucket", "left_anti").unionByName(upd.new_edges),
        clusters=state.clusters.join(touched, "doc_id", "left_anti").unionByName(upd.clusters),
        duplicates=state.duplicates.join(touched, "doc_id", "left_anti").unionByName(upd.duplicates),
    )


def history_of(state: State) -> History:
    def lookup(ids: DataFrame) -> DataFrame:
        return state.docs.join(ids.select(F.col(ids.columns[0]).alias("doc_id")), "doc_id", "left_semi")

    return History(state.index, state.edges, state.clusters, lookup, lookup)


def rows(df: DataFrame, *cols: str) -> list[tuple]:
    return sorted(tuple(r) for r in df.select(*cols).collect())


def incremental(spark, increments, partitions: int) -> list[State]:
    """The state after each increment, every increment deduplicated against the state before it."""
    empty = spark.createDataFrame([], SCHEMA)
    upd0 = full_dedup(empty, CFG)
    states = [State(empty, upd0.new_index, upd0.new_edges, upd0.clusters, upd0.duplicates)]
    for inc in increments:
        new = spark.createDataFrame(inc, SCHEMA).repartition(partitions)
        states.append(apply(states[-1], update(new, history_of(states[-1]), CFG), new))
    return states[1:]


def run_with_partitions(spark, increments, partitions: int) -> tuple[list[State], object]:
    previous = spark.conf.get("spark.sql.shuffle.partitions")
    spark.conf.set("spark.sql.shuffle.partitions", str(partitions))
    try:
        states = incremental(spark, increments, partitions)
        union = spark.createDataFrame([d for inc in increments for d in inc], SCHEMA).repartition(partitions)
        full = full_dedup(union, CFG)
        check_equal(states[-1], full)
        return states, full
    finally:
        spark.conf.set("spark.sql.shuffle.partitions", previous)


def check_equal(state: State, full) -> None:
    assert rows(state.clusters, "doc_id", "cluster_id") == rows(full.clusters, "doc_id", "cluster_id")
    assert rows(state.duplicates, *full.duplicates.columns) == rows(full.duplicates, *full.duplicates.columns)
    assert rows(state.edges, *full.new_edges.columns) == rows(full.new_edges, *full.new_edges.columns)
    assert rows(state.index, "band", "band_hash", "doc_id") == rows(full.new_index, "band", "band_hash", "doc_id")


@pytest.fixture(scope="module")
def three_partitions(spark, increments) -> list[State]:
    return run_with_partitions(spark, increments, 3)[0]


def test_three_increments_equal_full_recompute(three_partitions):
    assert len(three_partitions) == 3  # the equality itself is checked inside run_with_partitions


@pytest.mark.slow
@pytest.mark.parametrize("partitions", [1, 17])
def test_three_increments_equal_full_recompute_other_partitionings(spark, increments, partitions):
    run_with_partitions(spark, increments, partitions)


def test_planted_structure_bridge_and_new_survivor(increments, three_partitions):
    """The scenario is what it claims to be (checked with exact Jaccard), and the outcome is the stated one."""
    text = {d[0]: d[1] for inc in increments for d in inc}
    sets = {k: set(shingles(v, CFG.ngram, "word")) for k, v in text.items()}
    assert set_jaccard(sets["a05"], sets["m10"]) >= 0.8 and set_jaccard(sets["a05"], sets["m20"]) >= 0.8
    assert set_jaccard(sets["m10"], sets["m20"]) < 0.8  # A and B only meet through the bridge

    after_first, after_bridge, final = three_partitions
    clusters = dict(rows(after_first.clusters, "doc_id", "cluster_id"))
    assert clusters == {"m10": "m10", "m11": "m10", "m20": "m20", "m21": "m20"}

    clusters = dict(rows(after_bridge.clusters, "doc_id", "cluster_id"))
    assert {k for k, v in clusters.items() if v == "a05"} == {"a05", "m10", "m11", "m20", "m21"}

    dups = {r.doc_id: r for r in final.duplicates.collect()}
    assert "z90" not in dups  # the longer version survives...
    assert {r.survivor_id for r in dups.values()} == {"z90"}  # ...for the whole bridged cluster
    assert set(dups) == {"a05", "m10", "m11", "m20", "m21", "z91"}
    # z91 is an exact copy of m20 (similarity 1.0 on that edge) but not of the survivor z90: a near duplicate
    assert dups["z91"].stage == STAGE_NEAR and dups["z91"].similarity == 1.0


def test_an_empty_history_is_not_looked_up_and_gives_the_same_update(spark, increments, three_partitions,
                                                                     monkeypatch):
    """A new lake's History.empty skips every lookup (no Spark job each) with the result the first increment got
    by looking up in empty tables (three_partitions' first state)."""
    import etl.tables

    def no_lookup(*_args, **_kwargs):
        raise AssertionError("an empty history must not be looked up")

    monkeypatch.setattr(etl.tables, "lookup", no_lookup)
    first = spark.createDataFrame(increments[0], SCHEMA)
    skipped = update(first, History.empty(first, CFG), CFG)
    after_first = three_partitions[0]
    for got, expected in ((skipped.clusters, after_first.clusters), (skipped.duplicates, after_first.duplicates),
                          (skipped.new_edges, after_first.edges)):
        assert rows(got, *got.columns) == rows(expected, *got.columns)
    assert len(rows(skipped.clusters, "doc_id")) == 4  # clusters A and B: not two empty results compared
