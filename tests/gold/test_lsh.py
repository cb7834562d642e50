"""Spark tests for MinHash-LSH bands, star candidate edges, Jaccard verification and connected components.

Oracles: the numpy MinHasher run on the driver, a pure-Python union-find, and hand-built chain/star graphs.
Texts are real Clough-Stevenson answers (tests/data) and GENERATED edits of them.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from pyspark.sql import functions as F
from pyspark.sql import types as T

from etl.config import DedupConfig
from etl.gold.components import DRIVER_MAX_EDGES, connected_components
from etl.gold.dedup import full_dedup
from etl.gold.lsh import bands_rows, minhash_bands
from etl.gold.minhash import MinHasher, band_hashes, choose_kind, optimal_bands_rows, shingles

DATA = Path(__file__).resolve().parents[2] / "tests" / "data" / "clough_stevenson" / "texts"
CFG = DedupConfig(num_perm=64, threshold=0.7, verify_threshold=None)  # small signatures keep the tests quick
# The same through the product's composer (etl.gold.dedup.full_dedup); no exact-text band, so that None and ''
# (which share a text hash) stay out of the planted clusters.
UNVERIFIED = DedupConfig(num_perm=64, threshold=0.7, verify_threshold=None, exact=False)
VERIFIED = DedupConfig(num_perm=64, threshold=0.6, verify_threshold=0.8, exact=False)
EDGE_SCHEMA = T.StructType([T.StructField("src", T.LongType()), T.StructField("dst", T.LongType())])


def _text(name: str) -> str:
    raw = (DATA / name).read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252")


def _edit(text: str, rate: float, seed: int) -> str:
    """GENERATED near-duplicate: each word replaced with probability ``rate``."""
    rng = random.Random(seed)
    return " ".join(w if rng.random() > rate else f"edit{rng.randint(0, 10**6)}" for w in text.split())


@pytest.fixture(scope="module")
def docs() -> list[tuple[int, str | None]]:
    """Ids 10..: two planted clusters (3 and 2 near-copies of real texts), four unrelated texts, None and ''."""
    a, b = _text("orig_taska.txt"), _text("orig_taskb.txt")
    rows: list[tuple[int, str | None]] = [
        (17, a),
        (12, _edit(a, 0.02, 1)),
        (30, _edit(a, 0.03, 2)),
        (21, b),
        (15, _edit(b, 0.02, 3)),
    ]
    for i, name in enumerate(["orig_taskc.txt", "orig_taskd.txt", "orig_taske.txt", "g0pA_taska.txt"]):
        rows.append((40 + i, _text(name)))
    rows += [(50, None), (51, "")]
    return rows


def _components(df) -> dict:
    return {r["id"]: r["component"] for r in df.collect()}


def _union_find(edges: list[tuple[int, int]]) -> dict:
    parent: dict = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for u, v in edges:
        if u == v:
            continue
        ru, rv = find(u), find(v)
        if ru != rv:
            parent[max(ru, rv)] = min(ru, rv)
    return {x: find(x) for x in list(parent)}  # roots are set-minimums: the larger root always joins the smaller


# ---------------------------------------------------------------- bands and signatures


def test_minhash_bands_equal_numpy(spark, docs) -> None:
    df = spark.createDataFrame(docs, "id long, text string")
    bands, rows = bands_rows(CFG)
    got = {(r.id, r.band): r.band_hash for r in minhash_bands(df, "text", "id", CFG).collect()}
    texts = [t for _, t in docs]
    signatures, empty = MinHasher(CFG).signatures_with_empty(texts)
    expected = {}
    for (doc_id, _), sig, is_empty in zip(docs, band_hashes(signatures, bands, rows), empty):
        if not is_empty:
            expected.update({(doc_id, b): int(h) for b, h in enumerate(sig)})
    assert got == expected
    assert {i for i, _ in got} == {i for i, t in docs if t}  # None and '' have no bands


def _dedup(spark, docs, cfg: DedupConfig, partitions: int = 2):
    """full_dedup over (id, text) rows; ids become the string doc_ids the product uses."""
    df = spark.createDataFrame(docs, "id long, text string").repartition(partitions).select(
        F.col("id").cast("string").alias("doc_id"), "text", F.lit(0).alias("gopher_n_words"),
        F.lit(None).cast("timestamp").alias("warc_date"))
    return full_dedup(df, cfg)


def _cluster_map(result) -> dict[int, int]:
    return {int(r.doc_id): int(r.cluster_id) for r in result.clusters.collect()}


def test_1000_copies_of_a_page_give_star_edges_and_one_cluster(spark) -> None:
    """Skew: 1,000 copies share every bucket; each bucket gives 999 star edges to its minimum id, not 499,500."""
    page = _text("orig_taskc.txt")
    result = _dedup(spark, [(i * 7 + 3, page) for i in range(1000)], DedupConfig(num_perm=64), partitions=3)
    per_bucket = {r.bucket: (r["count"], r.root) for r in result.new_edges.groupBy("bucket").agg(
        F.count(F.lit(1)).alias("count"), F.min("root_id").alias("root")).collect()}
    bands, _ = bands_rows(DedupConfig(num_perm=64))
    assert len(per_bucket) == bands + 1  # every band plus the exact-text bucket
    assert set(per_bucket.values()) == {(999, "10")}  # the smallest id as a string: "10" (i = 1)
    clusters = _cluster_map(result)
    assert len(clusters) == 1000 and set(clusters.values()) == {10}


# ---------------------------------------------------------------- connected components


DISTRIBUTED = 0  # driver_max_edges=0: the large-star/small-star rounds, whatever the graph's size
BOTH_PATHS = pytest.mark.parametrize("driver_max_edges", [DISTRIBUTED, DRIVER_MAX_EDGES])


@BOTH_PATHS
def test_chain_graph(spark, driver_max_edges) -> None:
    rng = random.Random(5)
    ids = rng.sample(range(1, 10**9), 60)  # a path whose ids are in random order: the hard case for label spreading
    edges = [(ids[i], ids[i + 1]) for i in range(59)] + [(i, i + 1) for i in range(1000, 1030)]
    got = _components(connected_components(spark.createDataFrame(edges, EDGE_SCHEMA),
                                           driver_max_edges=driver_max_edges))
    assert got == {**{i: min(ids) for i in ids}, **{i: 1000 for i in range(1000, 1031)}}


@BOTH_PATHS
def test_star_graphs(spark, driver_max_edges) -> None:
    edges = [(500, leaf) for leaf in range(501, 600)] + [(leaf, 7) for leaf in range(8, 60)]
    got = _components(connected_components(spark.createDataFrame(edges, EDGE_SCHEMA),
                                           driver_max_edges=driver_max_edges))
    assert got == {**{i: 500 for i in range(500, 600)}, **{i: 7 for i in range(7, 60)}}


@pytest.mark.parametrize("seed, driver_max_edges",
                         [(1, DISTRIBUTED), (2, DISTRIBUTED), (1, DRIVER_MAX_EDGES), (2, DRIVER_MAX_EDGES),
                          (3, DRIVER_MAX_EDGES), (3, 40)])  # 40 < the 130 edges: distributed by the limit
def test_components_equal_union_find_on_random_graphs(spark, seed: int, driver_max_edges: int) -> None:
    rng = random.Random(seed)
    nodes = rng.sample(range(10**12), 150)
    edges = [(rng.choice(nodes), rng.choice(nodes)) for _ in range(130)]  # sparse: many components, self-loops
    edges += [(None, nodes[0]), (nodes[1], None)]
    got = _components(connected_components(spark.createDataFrame(edges, EDGE_SCHEMA),
                                           driver_max_edges=driver_max_edges))
    assert got == _union_find([e for e in edges if None not in e])


@BOTH_PATHS
def test_string_ids_and_reliable_checkpoints(spark, tmp_path, driver_max_edges) -> None:
    rng = random.Random(9)
    nodes = [f"doc-{rng.randrange(16**8):08x}" for _ in range(80)]
    edges = [(rng.choice(nodes), rng.choice(nodes)) for _ in range(70)]
    df = spark.createDataFrame(edges, "src string, dst string")
    got = _components(connected_components(df, checkpoint_dir=str(tmp_path / "ckpt"), checkpoint_interval=1,
                                                driver_max_edges=driver_max_edges))
    assert got == _union_find(edges)


def test_unsettled_graph_raises(spark) -> None:
    edges = spark.createDataFrame([(i, i + 1) for i in range(40)], EDGE_SCHEMA)
    with pytest.raises(RuntimeError):
        connected_components(edges, max_iter=1, driver_max_edges=DISTRIBUTED).collect()


@BOTH_PATHS
def test_empty_edges(spark, driver_max_edges) -> None:
    got = connected_components(spark.createDataFrame([], EDGE_SCHEMA), driver_max_edges=driver_max_edges)
    assert got.count() == 0 and got.schema == connected_components(
        spark.createDataFrame([(1, 2)], EDGE_SCHEMA), driver_max_edges=driver_max_edges).schema


# ---------------------------------------------------------------- whole path, partitioning, verification


@pytest.mark.parametrize("partitions", [1, 3, 17])
def test_results_identical_across_partitionings(spark, docs, partitions: int) -> None:
    rng = random.Random(4)
    graph = spark.createDataFrame([(rng.randrange(200), rng.randrange(200)) for _ in range(150)], EDGE_SCHEMA)
    got = (
        sorted(_cluster_map(_dedup(spark, docs, UNVERIFIED, partitions)).items()),
        sorted(tuple(r) for r in connected_components(graph.repartition(partitions),
                                                      driver_max_edges=DISTRIBUTED).collect()),
    )
    expected = (
        sorted([(12, 12), (17, 12), (30, 12), (15, 15), (21, 15)]),
        sorted(_union_find([tuple(r) for r in graph.collect()]).items()),
    )
    assert got == expected


def _set_jaccard(a: str | None, b: str | None) -> float:
    """Oracle: exact Jaccard of the two texts' shingle strings (Python sets, no hashing)."""
    sa = set(shingles(a, 5, choose_kind(a))) if a else set()
    sb = set(shingles(b, 5, choose_kind(b))) if b else set()
    return len(sa & sb) / len(sa | sb) if sa | sb else 0.0


def test_shingle_sets_match_python_shingles(docs) -> None:
    texts = [t for _, t in docs] + ["词语重复的中文句子没有空格可以切分词语重复", "x"]
    values, lengths = MinHasher(DedupConfig(num_perm=8)).shingle_sets(texts)
    assert len(lengths) == len(texts) and lengths.sum() == len(values)
    for text, n in zip(texts, lengths.tolist()):
        assert n == (len(set(shingles(text, 5, choose_kind(text)))) if text else 0)


def test_exact_verification_equals_set_jaccard(spark, docs) -> None:
    """Every edge the product keeps has exact J >= 0.8 (Python sets as the oracle), and the clusters are the
    union-find of the pairs with J >= 0.8 (b and its copy, J 0.88; the copies of a are at 0.60-0.75, which an
    estimate from 64-permutation signatures at a lower cut would have linked)."""
    text = dict(docs)
    result = _dedup(spark, docs, VERIFIED)
    edges = result.new_edges.collect()
    assert edges
    for r in edges:
        expected = _set_jaccard(text[int(r.doc_id)], text[int(r.root_id)])
        assert r.similarity == pytest.approx(expected, abs=1e-12) and expected >= 0.8
    true_pairs = [(i, j) for i, ti in docs for j, tj in docs if i < j and _set_jaccard(ti, tj) >= 0.8]
    assert _cluster_map(result) == _union_find(true_pairs) == {15: 15, 21: 15}


def test_bands_rows_are_the_configs_pair_or_datasketchs_optimum() -> None:
    assert bands_rows(DedupConfig()) == (32, 8)  # the product default: 256 permutations, bands for 0.6
    assert bands_rows(DedupConfig(bands=64, rows=4)) == (64, 4)
    assert bands_rows(DedupConfig(num_perm=128, threshold=0.8)) == optimal_bands_rows(0.8, 128)
