"""Where shards are cut (pure): by rows exactly, or by uncompressed bytes to within half a row of the target."""

from __future__ import annotations

from typing import Iterable


def starts_new_shard(rows: int, nbytes: int, weight: int, target_rows: int | None = None,
                     target_bytes: int | None = None) -> bool:
    """Whether the next row (`weight` bytes) opens a new shard, given the current shard's rows and bytes.

    A shard is never empty. By rows it holds exactly `target_rows`. By bytes the row joins when that leaves the shard
    nearer the target than closing without it, so every shard but the last is within half a row of `target_bytes`.
    """
    if rows == 0:
        return False
    if target_rows is not None and rows >= target_rows:
        return True
    # nbytes + weight - target > target - nbytes, in integers
    return target_bytes is not None and 2 * nbytes + weight > 2 * target_bytes


def plan_shards(weights: Iterable[int], target_rows: int | None = None,
                target_bytes: int | None = None) -> list[int]:
    """Rows per shard for rows of these sizes, in order (the rule the writer applies while streaming)."""
    counts: list[int] = []
    rows = nbytes = 0
    for weight in weights:
        if starts_new_shard(rows, nbytes, weight, target_rows, target_bytes):
            counts.append(rows)
            rows = nbytes = 0
        rows, nbytes = rows + 1, nbytes + weight
    return counts + [rows] if rows else counts
