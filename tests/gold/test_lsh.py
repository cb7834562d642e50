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

from etl.gold.components import connected_components
from etl.gold.lsh import (
    LSHConfig,
    candidate_edges,
    minhash_bands,
    minhash_signatures,
    near_duplicate_components,
    signature_bands,
    verify_edges,
    verify_edges_exact,
)
from etl.gold.minhash import MinHasher, band_hashes, choose_kind, estimate_jaccard, shingles

DATA = Path(__file__).resolve().parents[2] / "tests" / "data" / "clough_stevenson" / "texts"
CFG = LSHConfig(num_perm=64, threshold=0.7, verify_threshold=None)  # small signatures keep the tests quick
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
    bands, rows = CFG.bands_rows()
    got = {(r.id, r.band): r.band_hash for r in minhash_bands(df, "text", "id", CFG).collect()}
    texts = [t for _, t in docs]
    signatures, empty = MinHasher(num_perm=64).signatures_with_empty(texts)
    expected = {}
    for (doc_id, _), sig, is_empty in zip(docs, band_hashes(signatures, bands, rows), empty):
        if not is_empty:
            expected.update({(doc_id, b): int(h) for b, h in enumerate(sig)})
    assert got == expected
    assert {i for i, _ in got} == {i for i, t in docs if t}  # None and '' have no bands

    stored = minhash_signatures(df, "text", "id", CFG)
    assert stored.schema["signature"].dataType == T.ArrayType(T.IntegerType(), False)
    from_signatures = {(r.id, r.band): r.band_hash for r in signature_bands(stored, CFG).collect()}
    assert from_signatures == got


def test_bucket_of_1000_copies_gives_999_edges(spark) -> None:
    bands = spark.range(1000).select(
        F.col("id"), F.explode(F.array(F.lit(0), F.lit(1))).alias("band"), F.lit(42).cast("long").alias("band_hash")
    )
    edges = candidate_edges(bands)
    assert edges.count() == 999
    assert edges.where("dst != 0 OR src = 0").count() == 0


def test_1000_copies_of_a_page_end_to_end(spark) -> None:
    page = _text("orig_taskc.txt")
    df = spark.range(1000).select((F.col("id") * 7 + 3).alias("doc"), F.lit(page).alias("text")).repartition(3)
    edges = candidate_edges(minhash_bands(df, "text", "doc", CFG))
    assert edges.count() == 999
    comps = connected_components(edges)
    assert comps.select("component").distinct().collect()[0][0] == 3 and comps.count() == 1000


# ---------------------------------------------------------------- connected components


def test_chain_graph(spark) -> None:
    rng = random.Random(5)
    ids = rng.sample(range(1, 10**9), 60)  # a path whose ids are in random order: the hard case for label spreading
    edges = [(ids[i], ids[i + 1]) for i in range(59)] + [(i, i + 1) for i in range(1000, 1030)]
    got = _components(connected_components(spark.createDataFrame(edges, EDGE_SCHEMA)))
    assert got == {**{i: min(ids) for i in ids}, **{i: 1000 for i in range(1000, 1031)}}


def test_star_graphs(spark) -> None:
    edges = [(500, leaf) for leaf in range(501, 600)] + [(leaf, 7) for leaf in range(8, 60)]
    got = _components(connected_components(spark.createDataFrame(edges, EDGE_SCHEMA)))
    assert got == {**{i: 500 for i in range(500, 600)}, **{i: 7 for i in range(7, 60)}}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_components_equal_union_find_on_random_graphs(spark, seed: int) -> None:
    rng = random.Random(seed)
    nodes = rng.sample(range(10**12), 150)
    edges = [(rng.choice(nodes), rng.choice(nodes)) for _ in range(130)]  # sparse: many components, self-loops
    edges += [(None, nodes[0]), (nodes[1], None)]
    got = _components(connected_components(spark.createDataFrame(edges, EDGE_SCHEMA)))
    assert got == _union_find([e for e in edges if None not in e])


def test_string_ids_and_reliable_checkpoints(spark, tmp_path) -> None:
    rng = random.Random(9)
    nodes = [f"doc-{rng.randrange(16**8):08x}" for _ in range(80)]
    edges = [(rng.choice(nodes), rng.choice(nodes)) for _ in range(70)]
    df = spark.createDataFrame(edges, "src string, dst string")
    got = _components(connected_components(df, checkpoint_dir=str(tmp_path / "ckpt"), checkpoint_interval=1))
    assert got == _union_find(edges)


def test_unsettled_graph_raises(spark) -> None:
    edges = spark.createDataFrame([(i, i + 1) for i in range(40)], EDGE_SCHEMA)
    with pytest.raises(RuntimeError):
        connected_components(edges, max_iter=1).collect()


def test_empty_edges(spark) -> None:
    assert connected_components(spark.createDataFrame([], EDGE_SCHEMA)).count() == 0


# ---------------------------------------------------------------- whole path, partitioning, verification


@pytest.mark.parametrize("partitions", [1, 3, 17])
def test_results_identical_across_partitionings(spark, docs, partitions: int) -> None:
    df = spark.createDataFrame(docs, "id long, text string").repartition(partitions)
    rng = random.Random(4)
    graph = spark.createDataFrame([(rng.randrange(200), rng.randrange(200)) for _ in range(150)], EDGE_SCHEMA)
    got = (
        sorted(tuple(r) for r in near_duplicate_components(df, "text", "id", CFG).collect()),
        sorted(tuple(r) for r in connected_components(graph.repartition(partitions)).collect()),
    )
    expected = (
        sorted([(12, 12), (17, 12), (30, 12), (15, 15), (21, 15)]),
        sorted(_union_find([tuple(r) for r in graph.collect()]).items()),
    )
    assert got == expected


def test_verify_edges_uses_estimated_jaccard(spark, docs) -> None:
    df = spark.createDataFrame(docs, "id long, text string")
    signatures = minhash_signatures(df, "text", "id", CFG)
    edges = spark.createDataFrame([(17, 12), (21, 15), (40, 17)], EDGE_SCHEMA)
    got = {(r.src, r.dst): r.similarity for r in verify_edges(edges, signatures, 0.5).collect()}
    sig = dict(zip([i for i, _ in docs], MinHasher(num_perm=64).signatures([t for _, t in docs])))
    assert set(got) == {(17, 12), (21, 15)}  # the unrelated pair (40, 17) is dropped
    for (s, d), value in got.items():
        assert value == pytest.approx(estimate_jaccard(sig[s], sig[d]))
    verified = LSHConfig(num_perm=64, threshold=0.7, verify_threshold=0.5, verify_method="signature")
    assert _components(near_duplicate_components(df, "text", "id", verified)) == {12: 12, 17: 12, 30: 12, 15: 15, 21: 15}


def _set_jaccard(a: str | None, b: str | None) -> float:
    """Oracle: exact Jaccard of the two texts' shingle strings (Python sets, no hashing)."""
    sa = set(shingles(a, 5, choose_kind(a))) if a else set()
    sb = set(shingles(b, 5, choose_kind(b))) if b else set()
    return len(sa & sb) / len(sa | sb) if sa | sb else 0.0


def test_shingle_sets_match_python_shingles(docs) -> None:
    texts = [t for _, t in docs] + ["词语重复的中文句子没有空格可以切分词语重复", "x"]
    values, lengths = MinHasher(num_perm=8).shingle_sets(texts)
    assert len(lengths) == len(texts) and lengths.sum() == len(values)
    for text, n in zip(texts, lengths.tolist()):
        assert n == (len(set(shingles(text, 5, choose_kind(text)))) if text else 0)


def test_verify_edges_exact_equals_set_jaccard(spark, docs) -> None:
    df = spark.createDataFrame(docs, "id long, text string")
    text = dict(docs)
    edges = spark.createDataFrame([(17, 12), (30, 12), (21, 15), (40, 17), (41, 40), (50, 17), (51, 12)],
                                  EDGE_SCHEMA)
    got = {(r.src, r.dst): r.similarity for r in verify_edges_exact(edges, df, 0.0, CFG).collect()}
    # None and '' have no shingles: exact Jaccard 0 with anything (kept here only because the cut is 0.0)
    assert set(got) == {(17, 12), (30, 12), (21, 15), (40, 17), (41, 40), (50, 17), (51, 12)}
    for (s, d), value in got.items():
        assert value == pytest.approx(_set_jaccard(text[s], text[d]), abs=1e-12), (s, d)
    strict = {(r.src, r.dst) for r in verify_edges_exact(edges, df, 0.8, CFG).collect()}
    assert strict == {e for e, v in got.items() if v >= 0.8} and (40, 17) not in strict
    # End to end: the clusters are the union-find of the pairs whose exact Jaccard is >= 0.8 (here only b and its
    # copy, J 0.88; the copies of a are at 0.60-0.75, which the signature estimate at 0.5 would have linked)
    exact_cfg = LSHConfig(num_perm=64, threshold=0.6, verify_threshold=0.8, verify_method="exact")
    true_pairs = [(i, j) for i, ti in docs for j, tj in docs if i < j and _set_jaccard(ti, tj) >= 0.8]
    assert _components(near_duplicate_components(df, "text", "id", exact_cfg)) == _union_find(true_pairs) \
        == {15: 15, 21: 15}


def test_lsh_config_validation() -> None:
    with pytest.raises(ValueError, match="verify_method"):
        LSHConfig(verify_method="approximate")
    assert LSHConfig().bands_rows() == (32, 8)  # the product default: 256 permutations, bands for 0.6
    assert LSHConfig(bands=16, rows=8).bands_rows() == (16, 8)
    with pytest.raises(ValueError):
        LSHConfig(bands=16).bands_rows()
    with pytest.raises(ValueError):
        LSHConfig(bands=40, rows=8).bands_rows()  # 320 > num_perm 256
