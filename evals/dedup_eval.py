"""Near-dedup quality: our MinHash-LSH clusters against the exact Jaccard of every pair of documents.

Data: GENERATED documents with planted near-duplicates (etl/synth/neardup.py, seeded) plus the 63 real OSCAR
records, and separately the 100 real Clough-Stevenson texts (answers graded cut/light/heavy/non against their source).

Truth (brute force, exact): each document's set of shingles, cut exactly as the pipeline cuts them
(``etl.gold.minhash.shingles`` with the config's ngram and kind; kind "auto" gives word 5-grams for every generated
and Clough-Stevenson text and character 5-grams for the Chinese OSCAR records), each distinct shingle string mapped
to its own column (no hashing, so no collisions) of a sparse binary doc x shingle matrix X. X·Xᵀ, a block of rows
at a time, gives every intersection, hence every pair with Jaccard >= MIN_JACCARD, exactly.

Pipeline: ``full_dedup`` from etl/gold/dedup.py in Spark (the composer every refresh runs, exact band included), for each of CONFIGS.

What is scored (pairs i < j):
  true pair       exact J >= TRUE_JACCARD (0.8)
  predicted pair  i and j in the same output cluster (clusters are transitive, so all member pairs count)
  recall          true pairs that are predicted / true pairs
  precision       predicted pairs with exact J >= 0.8 / predicted pairs (strict, the headline)
  precision_tol   predicted pairs with exact J >= 0.8 - TOLERANCE / predicted pairs: a pair at 0.75 merged into
                  a cluster is a near miss of the threshold (MinHash estimates of 128 slots have a standard error of
                  ~0.035 near 0.8, and clusters join copies of one source that are each >= 0.8 to it but less to
                  each other), so it is counted as an error only below 0.7
  curve           per exact-Jaccard bucket [0.5, 0.6) ... [0.9, 1.0]: recall of the pairs in it, and the share of
                  all predicted pairs that fall in it (the rest are below 0.5)
  removals        for every document the pipeline drops: exact J to the survivor it was dropped for
The headline configuration is the product default (DedupConfig()): 256 permutations, bands tuned for 0.6 and each
candidate pair linked only when the exact Jaccard of its two shingle sets is >= 0.8, scored with strict precision.
Banding tuned for 0.7 and for 0.8 (128 permutations), with the same exact verification, are reported beside it.

Run: ``python evals/dedup_eval.py`` prints a summary and writes reports/eval_dedup.json (needs Spark).
"""

from __future__ import annotations

import csv
import json
import sys
import time
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from scipy import sparse

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from etl.synth.neardup import generate  # noqa: E402
from etl.config import DedupConfig  # noqa: E402
from etl.gold.lsh import bands_rows  # noqa: E402
from etl.gold.minhash import shingles  # noqa: E402

OSCAR = ROOT / "tests/data/oscar_2021/oscar_22.01_sample_63docs.jsonl"
CLOUGH = ROOT / "tests/data/clough_stevenson"
REPORT_PATH = ROOT / "reports/eval_dedup.json"

MIN_JACCARD = 0.5  # every pair at or above this is listed by the brute force
TRUE_JACCARD = 0.8  # a true near-duplicate pair
TOLERANCE = 0.1  # precision_tol forgives predicted pairs within this of TRUE_JACCARD
BUCKETS = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)  # curve edges; the last bucket includes 1.0
ROW_BLOCK = 1000  # rows of X·Xᵀ computed at once: bounds the intersection block in memory
SEED = 20240611
CONFIGS = {
    "default_256perm_bands0.6_exact0.8": DedupConfig(),
    "bands0.7_256perm_exact0.8": DedupConfig(threshold=0.7),
    "bands0.8_128perm_exact0.8": DedupConfig(num_perm=128, threshold=0.8),
}
HEADLINE = "default_256perm_bands0.6_exact0.8"


# ---------------------------------------------------------------- exact Jaccard by brute force


def shingle_matrix(texts: Sequence[str], ngram: int = 5, kind: str = "auto") -> sparse.csr_matrix:
    """Binary CSR (documents x distinct shingles): one column per distinct shingle string."""
    vocab: dict[str, int] = {}
    indptr = [0]
    indices: list[int] = []
    for text in texts:
        distinct = set(shingles(text, ngram, kind))  # type: ignore[arg-type]
        indices.extend(vocab.setdefault(s, len(vocab)) for s in distinct)
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.int32)
    matrix = sparse.csr_matrix((data, np.asarray(indices, dtype=np.int64), np.asarray(indptr, dtype=np.int64)),
                               shape=(len(texts), max(1, len(vocab))))
    matrix.sort_indices()
    return matrix


def similar_pairs(x: sparse.csr_matrix, min_jaccard: float = MIN_JACCARD,
                  row_block: int = ROW_BLOCK) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, jaccard) for every pair i < j with exact Jaccard >= min_jaccard, sorted by (i, j).

    Rows lo:hi are multiplied with rows lo: only (the upper triangle), so each pair is computed once and at most
    ``row_block`` rows of intersections exist at a time. Empty documents have Jaccard 0 with everything.
    """
    sizes = np.diff(x.indptr).astype(np.int64)
    xt = x.T.tocsc()
    out_i, out_j, out_s = [], [], []
    for lo in range(0, x.shape[0], row_block):
        hi = min(x.shape[0], lo + row_block)
        inter = (x[lo:hi] @ xt[:, lo:]).tocoo()
        i, j = inter.row.astype(np.int64) + lo, inter.col.astype(np.int64) + lo
        keep = j > i
        i, j, both = i[keep], j[keep], inter.data[keep].astype(np.int64)
        jac = both / (sizes[i] + sizes[j] - both)
        keep = jac >= min_jaccard
        out_i.append(i[keep]), out_j.append(j[keep]), out_s.append(jac[keep])
    i, j, s = (np.concatenate(a) if a else np.empty(0) for a in (out_i, out_j, out_s))
    order = np.lexsort((j, i))
    return i[order].astype(np.int64), j[order].astype(np.int64), s[order].astype(np.float64)


def pair_jaccard(x: sparse.csr_matrix, i: np.ndarray, j: np.ndarray, block: int = 100_000) -> np.ndarray:
    """Exact Jaccard of the given pairs (rows i[k], j[k]), a block of pairs at a time."""
    sizes = np.diff(x.indptr).astype(np.int64)
    out = np.zeros(len(i), dtype=np.float64)
    for lo in range(0, len(i), block):
        a, b = i[lo : lo + block], j[lo : lo + block]
        both = np.asarray(x[a].multiply(x[b]).sum(axis=1)).ravel().astype(np.int64)
        union = sizes[a] + sizes[b] - both
        out[lo : lo + block] = np.divide(both, union, out=np.zeros(len(a)), where=union > 0)
    return out


def set_jaccard(a: Iterable[str], b: Iterable[str]) -> float:
    """Pure-Python reference: |A ∩ B| / |A ∪ B| (0 for two empty sets)."""
    sa, sb = set(a), set(b)
    union = len(sa | sb)
    return len(sa & sb) / union if union else 0.0


# ---------------------------------------------------------------- scoring


def cluster_pairs(groups: Iterable[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """(i, j) with i < j for every two members of a cluster."""
    out_i, out_j = [], []
    for members in groups:
        m = np.sort(np.asarray(members, dtype=np.int64))
        a, b = np.triu_indices(len(m), k=1)
        out_i.append(m[a]), out_j.append(m[b])
    if not out_i:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(out_i), np.concatenate(out_j)


def pair_metrics(n_docs: int, truth: tuple[np.ndarray, np.ndarray, np.ndarray],
                 predicted: tuple[np.ndarray, np.ndarray], predicted_jaccard: np.ndarray) -> dict:
    """Precision/recall at TRUE_JACCARD and the per-bucket curve (see the module docstring for definitions)."""
    ti, tj, ts = truth
    pi, pj = predicted
    found = np.isin(ti * n_docs + tj, pi * n_docs + pj)
    true_pairs = ts >= TRUE_JACCARD
    n_pred = len(pi)
    curve = []
    for k, (lo, hi) in enumerate(zip(BUCKETS[:-1], BUCKETS[1:])):
        last = k == len(BUCKETS) - 2
        in_truth = (ts >= lo) & ((ts <= hi) if last else (ts < hi))
        in_pred = (predicted_jaccard >= lo) & ((predicted_jaccard <= hi) if last else (predicted_jaccard < hi))
        curve.append({
            "bucket": f"[{lo:.1f}, {hi:.1f}{']' if last else ')'}",
            "pairs": int(in_truth.sum()),
            "recalled": int((in_truth & found).sum()),
            "recall": _ratio(int((in_truth & found).sum()), int(in_truth.sum())),
            "predicted_pairs": int(in_pred.sum()),
            "share_of_predicted": _ratio(int(in_pred.sum()), n_pred),
        })
    below = int((predicted_jaccard < BUCKETS[0]).sum())
    return {
        "true_pairs": int(true_pairs.sum()),
        "predicted_pairs": n_pred,
        "recall": _ratio(int((true_pairs & found).sum()), int(true_pairs.sum())),
        "precision": _ratio(int((predicted_jaccard >= TRUE_JACCARD).sum()), n_pred),
        "precision_tol": _ratio(int((predicted_jaccard >= TRUE_JACCARD - TOLERANCE).sum()), n_pred),
        "predicted_below_0.5": below,
        "min_predicted_jaccard": round(float(predicted_jaccard.min()), 4) if n_pred else None,
        "curve": curve,
    }


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _summary(values: np.ndarray) -> dict:
    if len(values) == 0:
        return {"n": 0}
    return {"n": int(len(values)), "min": round(float(values.min()), 4), "median": round(float(np.median(values)), 4),
            "max": round(float(values.max()), 4)}


# ---------------------------------------------------------------- data


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252")


def oscar_records() -> tuple[list[str], list[str]]:
    """The 63 real OSCAR 22.01 records (ids oscar-NN)."""
    ids, texts = [], []
    with open(OSCAR, encoding="utf-8") as fh:
        for k, line in enumerate(fh):
            ids.append(f"oscar-{k:02d}")
            texts.append(json.loads(line)["content"])
    return ids, texts


def clough_stevenson() -> tuple[list[str], list[str], dict[str, tuple[str, str]]]:
    """(ids = file stems, texts, {stem: (category, task)}) of the 100 real texts."""
    info: dict[str, tuple[str, str]] = {}
    with open(CLOUGH / "file_information.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            info[Path(row["File"]).stem] = (row["Category"], row["Task"])
    ids = sorted(info)
    texts = [_decode((CLOUGH / "texts" / f"{stem}.txt").read_bytes()) for stem in ids]
    return ids, texts, info


# ---------------------------------------------------------------- pipeline


def pipeline_clusters(
    spark, ids: Sequence[str], texts: Sequence[str], cfg: DedupConfig
) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """({doc_id: cluster_id} for every clustered document, [(dropped doc_id, survivor_id)]) from the product's
    dedup composer (``full_dedup``: the same code a refresh runs)."""
    from pyspark.sql import functions as F

    from etl.gold.dedup import full_dedup  # Spark-side; the brute force above needs none of it

    docs = spark.createDataFrame(list(zip(ids, texts)), "doc_id string, text string")
    # Survivor order columns: longest document first, then doc_id (dates are all equal here).
    docs = docs.select("doc_id", "text", F.size(F.split("text", r"\s+")).alias("gopher_n_words"),
                       F.lit(None).cast("timestamp").alias("warc_date"))
    rows = full_dedup(docs, cfg).duplicates.select("doc_id", "cluster_id", "survivor_id").collect()
    members = {r.doc_id: r.cluster_id for r in rows}
    members.update({r.survivor_id: r.cluster_id for r in rows})
    return members, [(r.doc_id, r.survivor_id) for r in rows]


def _groups(members: dict[str, str], index: dict[str, int]) -> list[list[int]]:
    by_cluster: dict[str, list[int]] = {}
    for doc, cluster in members.items():
        by_cluster.setdefault(cluster, []).append(index[doc])
    return list(by_cluster.values())


def evaluate_config(spark, ids, texts, x, truth, cfg: DedupConfig) -> dict:
    """Pair metrics and removal quality of one DedupConfig on one document set."""
    t0 = time.perf_counter()
    members, removed = pipeline_clusters(spark, ids, texts, cfg)
    seconds = time.perf_counter() - t0
    index = {d: k for k, d in enumerate(ids)}
    groups = _groups(members, index)
    pi, pj = cluster_pairs(groups)
    pj_s = pair_jaccard(x, pi, pj)
    ri = np.array([index[d] for d, _ in removed], dtype=np.int64)
    rj = np.array([index[s] for _, s in removed], dtype=np.int64)
    removed_j = pair_jaccard(x, ri, rj)
    sizes = np.array([len(g) for g in groups])
    bands, rows = bands_rows(cfg)
    return {
        "config": {"threshold": cfg.threshold, "verify_threshold": cfg.verify_threshold,
                   "verify_method": cfg.verify_method, "bands_rows": [bands, rows],
                   "num_perm": cfg.num_perm, "kind": cfg.kind, "mode": cfg.mode,
                   # Chance that a pair at exactly J = 0.8 shares a bucket directly: 1 - (1 - J^rows)^bands.
                   "p_same_bucket_at_0.8": round(1.0 - (1.0 - TRUE_JACCARD**rows) ** bands, 3)},
        "seconds": round(seconds, 1),
        "clusters": len(groups),
        "max_cluster_size": int(sizes.max()) if len(sizes) else 0,
        **pair_metrics(len(ids), truth, (pi, pj), pj_s),
        "removals": {
            "removed_docs": len(removed),
            "jaccard_to_survivor": _summary(removed_j),
            "share_ge_0.8": _ratio(int((removed_j >= TRUE_JACCARD).sum()), len(removed)),
            "share_ge_0.7": _ratio(int((removed_j >= TRUE_JACCARD - TOLERANCE).sum()), len(removed)),
            "share_ge_0.5": _ratio(int((removed_j >= MIN_JACCARD).sum()), len(removed)),
        },
    }


def clough_eval(spark, cfg: DedupConfig) -> dict:
    """Per Category: answers clustered with their source text (orig_task<Task>), with their exact Jaccard to it."""
    ids, texts, info = clough_stevenson()
    x = shingle_matrix(texts, cfg.ngram, cfg.kind)
    members, _ = pipeline_clusters(spark, ids, texts, cfg)
    index = {d: k for k, d in enumerate(ids)}
    per: dict[str, dict] = {}
    answers = [d for d in ids if info[d][0] != "orig"]
    src = np.array([index[f"orig_task{info[d][1]}"] for d in answers])
    jac = pair_jaccard(x, np.array([index[d] for d in answers]), src)
    for category in ("cut", "light", "heavy", "non"):
        rows = [(d, j) for d, j in zip(answers, jac.tolist()) if info[d][0] == category]
        hit = [members.get(d) is not None and members.get(d) == members.get(f"orig_task{info[d][1]}") for d, _ in rows]
        values = np.array([j for _, j in rows])
        per[category] = {
            "answers": len(rows),
            "in_source_cluster": int(sum(hit)),
            "jaccard_to_source": _summary(values),
            "jaccard_ge_0.8": int((values >= TRUE_JACCARD).sum()),
            "in_cluster_jaccards": sorted(round(j, 3) for (_, j), h in zip(rows, hit) if h),
            "missed_jaccards_ge_0.5": sorted(round(j, 3) for (_, j), h in zip(rows, hit) if not h and j >= MIN_JACCARD),
        }
    return per


# ---------------------------------------------------------------- entry point


def default_spark():
    from etl.config import SparkConfig
    from etl.spark import get_spark

    return get_spark(SparkConfig(master="local[2]", app_name="dedup-eval", shuffle_partitions=4, driver_memory="4g"))


def run(spark=None, n_docs: int = 10_000, seed: int = SEED) -> dict:
    """The whole evaluation as a dict (see the module docstring); builds a local[2] session if none is given."""
    own = spark is None
    spark = spark or default_spark()
    try:
        started = time.perf_counter()
        gen_ids, gen_texts, planted = generate(n_docs, seed=seed)
        real_ids, real_texts = oscar_records()
        ids, texts = gen_ids + real_ids, gen_texts + real_texts
        kind, ngram = CONFIGS[HEADLINE].kind, CONFIGS[HEADLINE].ngram
        t0 = time.perf_counter()
        x = shingle_matrix(texts, ngram, kind)
        truth = similar_pairs(x)
        brute_s = time.perf_counter() - t0
        position = {d: k for k, d in enumerate(ids)}
        planted_j = pair_jaccard(x, np.array([position[d] for d, _, _ in planted], dtype=np.int64),
                                 np.array([position[s] for _, s, _ in planted], dtype=np.int64))
        rates = np.array([r for _, _, r in planted])
        result = {
            "evaluation": "near-dedup clusters vs exact Jaccard of all pairs",
            "data": {
                "generated": f"GENERATED: {len(gen_ids)} ~2 KB documents from real words, {len(planted)} planted "
                             "near-duplicates (etl/synth/neardup.py, seed %d)" % seed,
                "real": f"{len(real_ids)} real OSCAR 22.01 records",
                "documents": len(ids),
                "distinct_shingles": int(x.shape[1]),
                "planted_jaccard_by_edit_rate": {f"{r:g}": _summary(planted_j[rates == r]) for r in sorted(set(rates))},
            },
            "truth": {"min_jaccard_listed": MIN_JACCARD, "pairs_ge_0.5": int(len(truth[0])),
                      "pairs_ge_0.8": int((truth[2] >= TRUE_JACCARD).sum()), "brute_force_seconds": round(brute_s, 1),
                      "shingles": f"{ngram}-grams, kind={kind} (as the pipeline)"},
            "definitions": {"true_pair": "exact J >= 0.8", "predicted_pair": "same output cluster",
                            "precision": "strict: predicted pairs with J >= 0.8 (headline)",
                            "precision_tol": "predicted pairs with J >= 0.7", "headline_config": HEADLINE},
            "configs": {name: evaluate_config(spark, ids, texts, x, truth, cfg) for name, cfg in CONFIGS.items()},
            "clough_stevenson": {name: clough_eval(spark, cfg) for name, cfg in CONFIGS.items()},
        }
        head = result["configs"][HEADLINE]
        result["dedup.precision"] = head["precision"]
        result["dedup.precision_tol"] = head["precision_tol"]
        result["dedup.recall"] = head["recall"]
        result["seconds"] = round(time.perf_counter() - started, 1)
        return result
    finally:
        if own:
            spark.stop()


def print_summary(result: dict) -> None:
    print(f"{result['data']['generated']}; + {result['data']['real']}")
    print(f"truth: {result['truth']['pairs_ge_0.5']} pairs J>=0.5, {result['truth']['pairs_ge_0.8']} pairs J>=0.8")
    for name, m in result["configs"].items():
        mark = " (headline)" if name == HEADLINE else ""
        print(f"{name}{mark}: precision={m['precision']} precision_tol={m['precision_tol']} recall={m['recall']} "
              f"predicted_pairs={m['predicted_pairs']} clusters={m['clusters']} in {m['seconds']}s")
        for b in m["curve"]:
            print(f"  {b['bucket']:11} recall={b['recall']} ({b['recalled']}/{b['pairs']})  "
                  f"predicted={b['predicted_pairs']} share={b['share_of_predicted']}")
        print(f"  predicted below 0.5: {m['predicted_below_0.5']}; removals: {m['removals']}")
    for name, per in result["clough_stevenson"].items():
        print(f"Clough-Stevenson, {name}:")
        for category, m in per.items():
            print(f"  {category:6} {m['in_source_cluster']}/{m['answers']} in source cluster; "
                  f"J to source {m['jaccard_to_source']}")


if __name__ == "__main__":
    started = time.perf_counter()
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    outcome = run(n_docs=n)
    print_summary(outcome)
    REPORT_PATH.parent.mkdir(parents=True, exist_ok=True)
    REPORT_PATH.write_text(json.dumps(outcome, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {REPORT_PATH.relative_to(ROOT)} in {time.perf_counter() - started:.0f}s")
