"""Delta table helpers shared by every layer: locations, creation, idempotent writes, conflict retries."""

from __future__ import annotations

import os
import signal
import time
from typing import Callable, Sequence, TypeVar

from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

T_ = TypeVar("T_")

# Table names under the lake root (the README lists their schemas).
BRONZE_DOCUMENTS = "bronze/documents"
BRONZE_QUARANTINE = "bronze/quarantine"
BRONZE_INGEST_LOG = "bronze/ingest_log"

# Test-only fault injection: SIGKILL this process after N successful commits, to prove crash safety.
KILL_AFTER_COMMITS_ENV = "ETL_KILL_AFTER_COMMITS"
_commits = 0

# Delta's optimistic-concurrency errors: another writer committed first; re-reading and retrying is safe for our
# idempotent writes.
CONFLICT_NAMES = (
    "ConcurrentAppendException",
    "ConcurrentDeleteReadException",
    "ConcurrentDeleteDeleteException",
    "ConcurrentTransactionException",
    "MetadataChangedException",
    "ProtocolChangedException",
    "ConcurrentWriteException",
    "DELTA_CONCURRENT",
)


def table_path(lake: str, name: str) -> str:
    return os.path.join(os.path.abspath(lake) if "://" not in lake else lake, name)


def is_conflict(exc: BaseException) -> bool:
    text = f"{type(exc).__name__} {exc}"
    return any(name in text for name in CONFLICT_NAMES) or "already exists" in text.lower()


def with_retries(action: Callable[[], T_], retries: int, what: str) -> T_:
    """Run a Delta write, retrying on concurrent-commit conflicts with a short backoff."""
    for attempt in range(retries + 1):
        try:
            return action()
        except Exception as exc:
            if not is_conflict(exc) or attempt == retries:
                raise
            time.sleep(0.2 * (2**attempt))
    raise AssertionError("unreachable")  # pragma: no cover


def committed() -> None:
    """Call after each commit; honours the test-only kill switch."""
    global _commits
    _commits += 1
    limit = os.environ.get(KILL_AFTER_COMMITS_ENV)
    if limit and _commits >= int(limit):
        os.kill(os.getpid(), signal.SIGKILL)


def ensure_table(
    spark: SparkSession, path: str, schema: T.StructType, properties: dict[str, str] | None = None, retries: int = 5
) -> DeltaTable:
    """Create an empty Delta table at `path` if there is none (safe when two runs race to create it)."""

    def create() -> DeltaTable:
        builder = DeltaTable.createIfNotExists(spark).location(path).addColumns(schema)
        for key, value in (properties or {}).items():
            builder = builder.property(key, value)
        return builder.execute()

    if DeltaTable.isDeltaTable(spark, path):
        return DeltaTable.forPath(spark, path)
    return with_retries(create, retries, f"create {path}")


def merge_insert_only(
    spark: SparkSession, path: str, df: DataFrame, keys: Sequence[str], retries: int = 5
) -> None:
    """Insert rows whose key is not in the table yet: re-running the same write adds nothing."""
    cond = " AND ".join(f"t.{k} = s.{k}" for k in keys)

    def merge() -> None:
        (
            DeltaTable.forPath(spark, path).alias("t")
            .merge(df.alias("s"), cond)
            .whenNotMatchedInsertAll()
            .execute()
        )

    with_retries(merge, retries, f"merge into {path}")
    committed()


def append(spark: SparkSession, path: str, df: DataFrame, retries: int = 5) -> None:
    with_retries(lambda: df.write.format("delta").mode("append").save(path), retries, f"append to {path}")
    committed()


def read(spark: SparkSession, lake: str, name: str) -> DataFrame:
    return spark.read.format("delta").load(table_path(lake, name))


def exists(spark: SparkSession, lake: str, name: str) -> bool:
    return DeltaTable.isDeltaTable(spark, table_path(lake, name))


def version(spark: SparkSession, lake: str, name: str) -> int | None:
    """Latest Delta version of a table (None if absent): reports name the version they describe."""
    path = table_path(lake, name)
    if not DeltaTable.isDeltaTable(spark, path):
        return None
    return DeltaTable.forPath(spark, path).history(1).select("version").first()[0]
