"""Connected components of an edge DataFrame with large-star/small-star (Kiveris et al., SoCC 2014).

Distributed replacement for a single-threaded union-find: O(log^2 n) rounds of joins and aggregations, each
bounded by the edge count (no per-component state on any one task), and deterministic: a component is
labelled with its minimum id whatever the partitioning. A graph of at most ``DRIVER_MAX_EDGES`` edges (an
increment's usual graph) is solved by union-find on the driver instead: same labels, one job instead of a
few per round.
"""

from __future__ import annotations

import logging

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from etl.config import DedupConfig
from etl.spark import classic_context, persist_or_checkpoint, release

log = logging.getLogger(__name__)

DEFAULT_CHECKPOINT_INTERVAL = 2  # cut the lineage every this many rounds (persist in between)
# Up to this many distinct edges the graph is collected and solved on the driver (a few MB of ids): each
# distributed round costs seconds of fixed Spark overhead, which dominates gold on a small increment.
DRIVER_MAX_EDGES = 100_000


def _min_labels(pairs: list[tuple]) -> dict:
    """Union-find over (lo, hi) pairs: every node -> the minimum id of its component."""
    parent: dict = {}

    def find(x):
        root = x
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[x] != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    for lo, hi in pairs:
        a, b = find(lo), find(hi)
        if a != b:
            parent[max(a, b)] = min(a, b)  # the smaller root wins, so every root is its component's minimum
    return {node: find(node) for node in parent}


def _large_star(edges: DataFrame) -> DataFrame:
    """Link every node's larger neighbours to the node's minimum neighbour (itself included).

    Edges are (lo, hi) with lo < hi. A node's minimum over itself and its neighbours is the smallest ``lo``
    pointing at it, or itself, so the edge (lo, hi) becomes (min(lo and lo's smaller neighbours), hi).
    """
    smaller = edges.groupBy(F.col("hi").alias("node")).agg(F.min("lo").alias("m"))
    return (
        edges.join(smaller, edges["lo"] == smaller["node"], "left")  # one row per node on the right: skew streams
        .select(F.coalesce(F.col("m"), F.col("lo")).alias("lo"), F.col("hi"))
        .distinct()
    )


def _small_star(edges: DataFrame) -> DataFrame:
    """Link every node and its smaller neighbours to the smallest of them."""
    smallest = edges.groupBy("hi").agg(F.min("lo").alias("m"))
    joined = edges.join(smallest, "hi")
    neighbours = joined.where(F.col("lo") != F.col("m")).select(F.col("m").alias("lo"), F.col("lo").alias("hi"))
    selves = smallest.select(F.col("m").alias("lo"), F.col("hi"))
    return neighbours.unionByName(selves).distinct()


def _unsettled(edges: DataFrame) -> int:
    """Nodes not yet in final form: with more than one parent, or both parent and child. 0 means a star forest.

    Stars rooted at their minimum are a fixed point of both steps, and the steps change every other graph,
    so this is 0 exactly when another round would change nothing. One number reaches the driver.
    """
    parents = edges.groupBy(F.col("hi").alias("node")).agg(F.count(F.lit(1)).alias("parents"))
    roots = edges.select(F.col("lo").alias("node")).distinct().withColumn("is_parent", F.lit(True))
    flagged = parents.join(roots, "node", "left").where((F.col("parents") > 1) | F.col("is_parent").isNotNull())
    return int(flagged.count())


def connected_components(
    edges: DataFrame,
    checkpoint_dir: str | None = None,
    max_iter: int = DedupConfig.max_iterations,
    checkpoint_interval: int = DEFAULT_CHECKPOINT_INTERVAL,
    src_col: str = "src",
    dst_col: str = "dst",
    driver_max_edges: int = DRIVER_MAX_EDGES,
) -> DataFrame:
    """DataFrame[id, component]: every node of ``edges`` with the minimum id of its connected component.

    Ids may be of any orderable type (long, string). Nodes that only occur in self-loops or null edges are
    absent (they are singletons). With ``checkpoint_dir`` the lineage is cut with reliable checkpoints, else
    with ``localCheckpoint``. Raises RuntimeError if the graph has not settled after ``max_iter`` rounds.
    A graph of at most ``driver_max_edges`` distinct edges is solved on the driver (0: always distributed).
    """
    if max_iter < 1 or checkpoint_interval < 1:
        raise ValueError("max_iter and checkpoint_interval must be >= 1")
    context = classic_context(edges.sparkSession)
    if checkpoint_dir and context is None:
        checkpoint_dir = None  # Spark Connect has no reliable checkpoint directory to set: local checkpoints
    if checkpoint_dir:
        context.setCheckpointDir(checkpoint_dir)
    src, dst = F.col(src_col), F.col(dst_col)
    current = (
        edges.where(src.isNotNull() & dst.isNotNull() & (src != dst))
        .select(F.least(src, dst).alias("lo"), F.greatest(src, dst).alias("hi"))
        .distinct()
    )
    current = persist_or_checkpoint(current)
    if driver_max_edges > 0:
        pairs = [tuple(r) for r in current.limit(driver_max_edges + 1).collect()]
        if len(pairs) <= driver_max_edges:
            release(current)
            id_type = current.schema["lo"].dataType
            schema = T.StructType([T.StructField("id", id_type), T.StructField("component", id_type)])
            labels = sorted(_min_labels(pairs).items())
            log.info("connected components: %d edges solved on the driver", len(pairs))
            return edges.sparkSession.createDataFrame(labels, schema)
    for iteration in range(1, max_iter + 1):
        following = _small_star(_large_star(current))
        if iteration % checkpoint_interval == 0:
            following = following.checkpoint(eager=True) if checkpoint_dir else following.localCheckpoint(eager=True)
        else:
            following = persist_or_checkpoint(following)
        unsettled = _unsettled(following)  # also materialises `following` before `current` is dropped
        release(current)
        current = following
        log.info("connected components: round %d, %d unsettled nodes", iteration, unsettled)
        if unsettled == 0:
            break
    else:
        raise RuntimeError(f"connected components did not settle in {max_iter} rounds")
    return (
        current.select(F.col("hi").alias("id"), F.col("lo").alias("component"))
        .unionByName(current.select(F.col("lo").alias("id"), F.col("lo").alias("component")))
        .distinct()
    )
