"""Benchmark: near-dedup in Spark local[2], ours against Spark MLlib's MinHashLSH, with datasketch as a reference line.

Documents are GENERATED (etl/synth/neardup.py: ~2 KB of real words, 20% planted near-duplicates), written once to
Parquet as (id, text); every Spark contender reads that same file in its own fresh process (so each one's peak
memory is its own: a JVM never returns memory) and is timed from the read to a materialised count:

  ours      the product's dedup defaults (etl.config.DedupConfig: 256 permutations, bands tuned for J 0.6,
            candidate pairs linked when the exact Jaccard of their shingle sets is >= 0.8): signatures -> bands ->
            star candidate edges -> verification -> connected components (etl.gold.components); counted components.
  mllib     RegexTokenizer((?U)\\w+, the same tokens) -> NGram(5) -> HashingTF(2^20, binary) -> MinHashLSH
            (MLLIB_TABLES tables) -> approxSimilarityJoin(df, df, 1 - threshold); counted pairs. Killed after
            ``mllib_timeout_s`` and then reported as a lower bound. Not run above PEERS_MAX documents.
  datasketch  one Python process: our datasketch-mode signatures (bit-identical to datasketch.MinHash) inserted into
            datasketch.MinHashLSH(threshold) and queried back; candidate pairs, no verification. A reference line
            only; not run above PEERS_MAX documents.

Recall = pairs with exact Jaccard >= threshold found: in one component for ours, returned by the join for MLlib,
among the candidates for datasketch. The truth is the brute-force Jaccard of every pair (evals/dedup_eval.py) up to
BRUTE_FORCE_MAX documents; above that, of every pair within each generation chunk, because gen_neardup plants
copies only within a chunk and its base documents share almost no 5-grams. The report checks that premise at the
largest fully brute-forced size (``cross_chunk_true_pairs`` must be 0).
The skew case is one page copied K times (and nothing else): ours must give K star edges and one component.

Run: ``python -m bench.bench_dedup`` (10k and 100k with MLlib and datasketch, ~25 minutes on 2 cores), or
``--sizes 100000 1000000`` for the cost growth to a million documents (``make bench-scale``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from etl.synth.neardup import CHUNK_DOCS, iter_chunks  # noqa: E402
from bench.memory import PeakMemory  # noqa: E402

THRESHOLD = 0.8  # the similarity every contender is asked for (the headline of evals/dedup_eval.py)
NGRAM = 5
MLLIB_TABLES = 5  # OR of 5 single-hash tables: P(candidate | J=0.8) = 1 - 0.2^5 > 0.999, like our banding
MLLIB_FEATURES = 1 << 20
MLLIB_TIMEOUT_S = 1200  # the 20-minute guard: past it MLlib's time is reported as a lower bound
BRUTE_FORCE_MAX = 20_000  # exact truth over all pairs up to this many documents; per generation chunk above
PEERS_MAX = 100_000  # MLlib and datasketch are compared up to this size (MLlib needs ~10 minutes at 100k)
DEFAULT_SIZES = (10_000, 100_000)
SKEW_COPIES = 100_000
SHUFFLE_PARTITIONS = 8
ROWS_PER_FILE = 12_500  # Parquet files of at most this many documents, so the read splits into tasks for both cores
SEED = 20240611
CHILD_STARTUP_S = 60  # wall time a child gets beyond its timeout for starting Spark (its timer starts after that)


# ---------------------------------------------------------------- data


def write_docs(path: Path, n_docs: int, skew_copies: int = 0, seed: int = SEED,
               threshold: float | None = None) -> tuple[list[str], list[str] | None, tuple | None, dict]:
    """GENERATED documents to ``path`` (Parquet files of id, text), a chunk at a time.

    Returns (ids, texts or None above PEERS_MAX, truth pairs (i, j) or None without ``threshold``, truth facts).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    ids: list[str] = []
    texts: list[str] | None = [] if n_docs + skew_copies <= PEERS_MAX else None
    chunk_truth: list[tuple[np.ndarray, np.ndarray]] = []
    path.mkdir(parents=True, exist_ok=True)
    files = 0
    for chunk in iter_chunks(n_docs, seed=seed, skew_copies=skew_copies):
        offset = len(ids)
        ids.extend(chunk.ids)
        if texts is not None:
            texts.extend(chunk.texts)
        if threshold is not None and n_docs > BRUTE_FORCE_MAX:
            i, j = truth_pairs(chunk.texts, threshold)
            chunk_truth.append((i + offset, j + offset))
        for lo in range(0, len(chunk.ids), ROWS_PER_FILE):
            table = pa.table({"id": chunk.ids[lo : lo + ROWS_PER_FILE], "text": chunk.texts[lo : lo + ROWS_PER_FILE]})
            pq.write_table(table, path / f"part-{files:04d}.parquet")
            files += 1
    facts: dict = {}
    truth = None
    if threshold is not None:
        if n_docs <= BRUTE_FORCE_MAX:
            truth = truth_pairs(texts, threshold)
            chunk_of = np.arange(len(ids)) // CHUNK_DOCS
            crossing = int((chunk_of[truth[0]] != chunk_of[truth[1]]).sum())
            facts = {"truth": "all pairs", "cross_chunk_true_pairs": crossing}
        else:
            truth = tuple(np.concatenate(parts) for parts in zip(*chunk_truth))
            facts = {"truth": f"pairs within each chunk of {CHUNK_DOCS} generated documents"}
    return ids, texts, truth, facts


# ---------------------------------------------------------------- contenders (each in its own process)


def _spark():
    from etl.config import SparkConfig
    from etl.spark import get_spark

    return get_spark(SparkConfig(master="local[2]", app_name="bench-dedup", shuffle_partitions=SHUFFLE_PARTITIONS,
                                 driver_memory="4g"))


def _ours(spark, data: str, out: str, threshold: float) -> dict:
    """Timed: the product's dedup composer (etl.gold.dedup.full_dedup, as a refresh into an empty lake runs it)
    from text to clusters, materialised. Writes (id, component)."""
    from pyspark.sql import functions as F

    from etl.config import DedupConfig
    from etl.gold.dedup import full_dedup
    from etl.gold.lsh import bands_rows

    product = DedupConfig()
    t0 = time.perf_counter()
    df = spark.read.parquet(data)
    id_type = df.schema["id"].dataType
    docs = df.select(F.col("id").cast("string").alias("doc_id"), "text",
                     F.size(F.split("text", r"\s+")).alias("gopher_n_words"),
                     F.lit(None).cast("timestamp").alias("warc_date"))
    result = full_dedup(docs, product)  # materialised inside (local checkpoints)
    seconds = time.perf_counter() - t0
    edges = result.new_edges
    comps = result.clusters.select(F.col("doc_id").cast(id_type).alias("id"),
                                   F.col("cluster_id").cast(id_type).alias("component"))
    n_edges = edges.count()
    stats = edges.agg(F.countDistinct("root_id").alias("roots")).first()
    n_nodes = comps.count()
    n_components = comps.select("component").distinct().count()
    comps.toPandas().to_parquet(out)
    return {"seconds": seconds, "edges": n_edges, "edge_roots": int(stats.roots), "clustered_docs": n_nodes,
            "components": n_components, "num_perm": product.num_perm, "bands_rows": list(bands_rows(product)),
            "verify_threshold": product.verify_threshold, "verify_method": product.verify_method}


def _mllib(spark, data: str, out: str, threshold: float) -> dict:
    """Timed: text -> 5-gram features -> MinHashLSH -> self approxSimilarityJoin, materialised. Writes (a, b)."""
    from pyspark import StorageLevel
    from pyspark.ml.feature import HashingTF, MinHashLSH, NGram, RegexTokenizer
    from pyspark.sql import functions as F

    t0 = time.perf_counter()
    df = spark.read.parquet(data)
    tokens = RegexTokenizer(inputCol="text", outputCol="tokens", pattern=r"(?U)\w+", gaps=False, toLowercase=True)
    grams = NGram(n=NGRAM, inputCol="tokens", outputCol="ngrams")
    tf = HashingTF(inputCol="ngrams", outputCol="features", numFeatures=MLLIB_FEATURES, binary=True)
    feats = tf.transform(grams.transform(tokens.transform(df))).where(F.size("ngrams") > 0) \
        .select("id", "features").persist(StorageLevel.MEMORY_AND_DISK)  # both join sides reuse it
    model = MinHashLSH(inputCol="features", outputCol="hashes", numHashTables=MLLIB_TABLES, seed=1).fit(feats)
    # approxSimilarityJoin keeps distance < threshold (strict); the epsilon keeps pairs at exactly J = threshold.
    pairs = model.approxSimilarityJoin(feats, feats, 1.0 - threshold + 1e-9, distCol="distance") \
        .select(F.col("datasetA.id").alias("a"), F.col("datasetB.id").alias("b"), "distance") \
        .where(F.col("a") < F.col("b")).persist(StorageLevel.MEMORY_AND_DISK)
    n_pairs = pairs.count()
    seconds = time.perf_counter() - t0
    pairs.select("a", "b").toPandas().to_parquet(out)
    return {"seconds": seconds, "pairs": n_pairs, "hash_tables": MLLIB_TABLES}


def child_main(argv: list[str]) -> None:
    """``_child NAME DATA OUT THRESHOLD``: run one contender in this fresh process, print its JSON last."""
    name, data, out, threshold = argv[0], argv[1], argv[2], float(argv[3])
    spark = _spark()
    spark.sparkContext.setLogLevel("ERROR")
    result = {"ours": _ours, "mllib": _mllib}[name](spark, data, out, threshold)
    print(json.dumps(result))
    spark.stop()


def run_child(name: str, data: Path, out: Path, threshold: float, timeout_s: float | None) -> dict:
    """One contender in a subprocess under PeakMemory. A timeout kills it (its JVM exits with it) and is reported."""
    cmd = [sys.executable, "-m", "bench.bench_dedup", "_child", name, str(data), str(out), str(threshold)]
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable}
    # The child's own timer starts after Spark is up, so the wall limit adds the start-up allowance.
    wall = None if timeout_s is None else timeout_s + CHILD_STARTUP_S
    started = time.perf_counter()
    with PeakMemory() as memory:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            stdout, stderr = _communicate(proc, wall)
        except TimeoutError:
            return {"timed_out": True, "seconds_lower_bound": timeout_s,
                    "wall_seconds": round(time.perf_counter() - started, 1), **memory.as_dict()}
    if proc.returncode != 0:
        raise RuntimeError(f"{name} failed ({proc.returncode}):\n{stderr[-3000:]}")
    return {"timed_out": False, **json.loads(stdout.strip().splitlines()[-1]), **memory.as_dict()}


def _communicate(proc: subprocess.Popen, wall: float | None) -> tuple[str, str]:
    """Wait for the child; past ``wall`` seconds kill it (its JVM exits when its parent's pipe closes)."""
    try:
        return proc.communicate(timeout=wall)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise TimeoutError from None


# ---------------------------------------------------------------- scoring and the datasketch reference


def truth_pairs(texts: list[str], threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """(i, j) of every pair of ``texts`` with exact Jaccard >= threshold (sparse brute force)."""
    from evals.dedup_eval import shingle_matrix, similar_pairs

    i, j, _ = similar_pairs(shingle_matrix(texts, NGRAM, "auto"), min_jaccard=threshold)
    return i, j


def recall(truth: tuple[np.ndarray, np.ndarray] | None, found: set[tuple[int, int]]) -> float | None:
    if truth is None or len(truth[0]) == 0:
        return None
    hits = sum((int(a), int(b)) in found for a, b in zip(*truth))
    return round(hits / len(truth[0]), 4)


def component_pairs(path: Path, index: dict[str, int]) -> set[tuple[int, int]]:
    """Every pair (i < j) of documents that share a component (a self-join on the component id)."""
    import pandas as pd

    frame = pd.read_parquet(path)
    frame = pd.DataFrame({"component": frame["component"], "k": frame["id"].map(index).astype("int64")})
    both = frame.merge(frame, on="component", how="inner", suffixes=("_a", "_b"))
    both = both[both["k_a"] < both["k_b"]]
    return set(zip(both["k_a"].tolist(), both["k_b"].tolist()))


def join_pairs(path: Path, index: dict[str, int]) -> set[tuple[int, int]]:
    import pandas as pd

    frame = pd.read_parquet(path)
    return {(min(index[a], index[b]), max(index[a], index[b])) for a, b in zip(frame["a"], frame["b"])}


def datasketch_reference(ids: list[str], texts: list[str], threshold: float) -> tuple[dict, set[tuple[int, int]]]:
    """datasketch.MinHashLSH insert + query on our datasketch-mode signatures, timed in this process."""
    from datasketch import LeanMinHash, MinHashLSH

    from etl.config import DedupConfig
    from etl.gold.minhash import MinHasher

    cfg = DedupConfig(ngram=NGRAM, mode="datasketch", kind="auto")
    num_perm = cfg.num_perm
    t0 = time.perf_counter()
    signatures = MinHasher(cfg).signatures(texts)
    sig_s = time.perf_counter() - t0
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    hashes = [LeanMinHash(seed=cfg.seed, hashvalues=row) for row in signatures.astype(np.uint64)]
    for k, h in enumerate(hashes):
        lsh.insert(k, h)
    found: set[tuple[int, int]] = set()
    for k, h in enumerate(hashes):
        found.update((min(k, o), max(k, o)) for o in lsh.query(h) if o != k)
    seconds = time.perf_counter() - t0
    return {"seconds": round(seconds, 2), "signature_seconds": round(sig_s, 2), "candidate_pairs": len(found),
            "bands_rows": [lsh.b, lsh.r]}, found


# ---------------------------------------------------------------- the benchmark


def compare(n_docs: int, work: Path, threshold: float, mllib_timeout_s: float | None,
            peers_max: int = PEERS_MAX) -> dict:
    """Ours on ``n_docs`` GENERATED documents; MLlib and datasketch on the same documents up to ``peers_max``."""
    data = work / f"docs-{n_docs}"
    t0 = time.perf_counter()
    ids, texts, truth, truth_facts = write_docs(data, n_docs, threshold=threshold)
    truth_s = time.perf_counter() - t0
    index = {d: k for k, d in enumerate(ids)}
    ours = run_child("ours", data, work / f"ours-{n_docs}.parquet", threshold, None)
    ours["seconds"] = round(ours["seconds"], 2)
    ours["recall"] = recall(truth, component_pairs(work / f"ours-{n_docs}.parquet", index))
    out = {
        "n_docs": n_docs,
        "true_pairs": int(len(truth[0])),
        **truth_facts,
        "data_and_truth_seconds": round(truth_s, 1),
        "ours": ours,
        "ours_ms_per_doc": round(1000 * ours["seconds"] / n_docs, 3),
    }
    if texts is None or n_docs > peers_max:
        out["peers"] = f"not run above {peers_max} documents"
        return out
    mllib = run_child("mllib", data, work / f"mllib-{n_docs}.parquet", threshold, mllib_timeout_s)
    if not mllib["timed_out"]:
        mllib["recall"] = recall(truth, join_pairs(work / f"mllib-{n_docs}.parquet", index))
        mllib["seconds"] = round(mllib["seconds"], 2)
    sketch, found = datasketch_reference(ids, texts, threshold)
    sketch["recall"] = recall(truth, found)
    mllib_s = mllib["seconds_lower_bound"] if mllib["timed_out"] else mllib["seconds"]
    out.update({
        "mllib": mllib,
        "datasketch": sketch,
        "ratio_vs_mllib": round(mllib_s / ours["seconds"], 2),
        "ratio_is_lower_bound": bool(mllib["timed_out"]),
        "mllib_ms_per_doc": round(1000 * mllib_s / n_docs, 3),
    })
    return out


def skew_case(copies: int, work: Path, threshold: float) -> dict:
    """One page and ``copies`` verbatim copies of it: ours should give ``copies`` star edges and one component."""
    data = work / f"skew-{copies}"
    write_docs(data, 0, skew_copies=copies)
    result = run_child("ours", data, work / f"skew-{copies}.parquet", threshold, None)
    n = copies + 1
    result["seconds"] = round(result["seconds"], 2)
    result.update({"documents": n, "star": result["edges"] == n - 1 and result["edge_roots"] == 1
                   and result["components"] == 1 and result["clustered_docs"] == n})
    return result


GROWTH_FROM, GROWTH_TO = 100_000, 1_000_000


def run(sizes: tuple[int, ...] = DEFAULT_SIZES, skew_copies: int = SKEW_COPIES,
        mllib_timeout_s: float | None = MLLIB_TIMEOUT_S, threshold: float = THRESHOLD,
        peers_max: int = PEERS_MAX) -> dict:
    """Comparison at every size, cost growth per document, the skew case. Headline: the largest size with peers."""
    sizes = tuple(sorted(sizes))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-dedup-") as tmp:
        work = Path(tmp)
        by_size = {}
        for n in sizes:
            print(f"bench_dedup: {n} documents ...", file=sys.stderr, flush=True)
            by_size[str(n)] = compare(n, work, threshold, mllib_timeout_s, peers_max)
        skew = skew_case(skew_copies, work, threshold) if skew_copies else None
    with_peers = [entry for entry in by_size.values() if "mllib" in entry]
    head = with_peers[-1] if with_peers else None

    def growth(lo: int, hi: int) -> float | None:
        a, b = by_size.get(str(lo)), by_size.get(str(hi))
        return round(b["ours_ms_per_doc"] / a["ours_ms_per_doc"], 2) if a and b else None

    return {
        "benchmark": "near-dedup, Spark local[2]: ours vs MLlib MinHashLSH (+ datasketch single process)",
        "data": "GENERATED: ~2 KB documents of real words (OSCAR 22.01 en/es/de/fr + Clough-Stevenson), "
                "20% planted near-duplicates (etl/synth/neardup.py)",
        "threshold": threshold,
        "dedup.ratio_vs_mllib": head["ratio_vs_mllib"] if head else None,
        "dedup.ratio_is_lower_bound": head["ratio_is_lower_bound"] if head else None,
        "dedup.recall": head["ours"]["recall"] if head else None,
        "dedup.mllib_recall": head["mllib"].get("recall") if head else None,
        "headline_n_docs": head["n_docs"] if head else None,
        "dedup.cost_per_doc_growth_100k_to_1m": growth(GROWTH_FROM, GROWTH_TO),
        "cost_per_doc_growth_first_to_last": {"sizes": [sizes[0], sizes[-1]],
                                              "ours": growth(sizes[0], sizes[-1]) if len(sizes) > 1 else None},
        "by_size": by_size,
        "skew": skew,
        "seconds": round(time.perf_counter() - started, 1),
        "machine": {"cpus": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2),
                    "python": platform.python_version()},
    }


def main(argv: list[str]) -> None:
    if argv and argv[0] == "_child":
        child_main(argv[1:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES),
                        help=f"document counts (peers up to {PEERS_MAX})")
    parser.add_argument("--skew", type=int, default=SKEW_COPIES, help="copies of one page (0: skip)")
    parser.add_argument("--mllib-timeout", type=float, default=MLLIB_TIMEOUT_S, help="seconds before MLlib is stopped")
    parser.add_argument("--threshold", type=float, default=THRESHOLD)
    parser.add_argument("--peers-max", type=int, default=PEERS_MAX, help="largest size MLlib and datasketch run on")
    args = parser.parse_args(argv)
    print(json.dumps(run(tuple(args.sizes), args.skew, args.mllib_timeout, args.threshold, args.peers_max), indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
