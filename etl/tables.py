"""Delta table helpers shared by every layer: locations, creation, idempotent writes, conflict retries."""

from __future__ import annotations

import json
import os
import signal
import time
from typing import Callable, Iterable, Sequence, TypeVar
from urllib.parse import urlparse

from delta.exceptions import DeltaConcurrentModificationException
from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from etl.io.sources import has_scheme

T_ = TypeVar("T_")

# Table names under the lake root (the README lists their schemas).
BRONZE_DOCUMENTS = "bronze/documents"
BRONZE_QUARANTINE = "bronze/quarantine"
BRONZE_INGEST_LOG = "bronze/ingest_log"

# Test-only fault injection: SIGKILL this process after N successful commits, to prove crash safety.
KILL_AFTER_COMMITS_ENV = "ETL_KILL_AFTER_COMMITS"
_commits = 0

# Delta's optimistic-concurrency errors (another writer committed first) are recognised by type: re-reading and
# retrying is safe for our idempotent writes; every other error is raised at once.
CONFLICT_JAVA_MARKERS = ("Concurrent", "MetadataChangedException", "ProtocolChangedException")


# Layout and features per table: Change Data Feed where a later stage reads what changed, deletion vectors where
# rows are deleted (a delete marks rows instead of rewriting files). See README "Table layout".
CDF = {"delta.enableChangeDataFeed": "true"}
DELETION_VECTORS = {"delta.enableDeletionVectors": "true"}
# Lookups by key push the keys as a literal IN list (Delta's data skipping then reads only files whose min/max can
# hold a key) up to this many keys; larger key sets go through a semi-join.
LOOKUP_IN_LIST_MAX = 10_000
SCHEMA_PROPERTY = "etl.schema"  # the columns the pipeline created a table with (JSON); any others are a user's


def lake_root(lake: str) -> str:
    """The lake as Hadoop sees it: any URI scheme kept (hdfs:, s3a:, abfss:, gs:, dbfs:), `file:` URIs in Hadoop's
    own spelling (file:/abs, which Delta compares locations against), plain paths made absolute."""
    if lake.startswith("file:"):
        return "file:/" + urlparse(lake).path.lstrip("/")
    if has_scheme(lake):
        return lake.rstrip("/")
    return os.path.abspath(lake)


def table_path(lake: str, name: str) -> str:
    return f"{lake_root(lake)}/{name}"


def is_conflict(exc: BaseException) -> bool:
    """True for Delta's concurrent-modification family, by Python type or by the Java exception's class."""
    if isinstance(exc, DeltaConcurrentModificationException):
        return True
    java = getattr(exc, "java_exception", None) or getattr(exc, "_origin", None)
    try:
        name = java.getClass().getName() if java is not None else ""
    except Exception:  # a detached JVM object: not a conflict we can prove
        return False
    return name.startswith(("io.delta", "org.apache.spark.sql.delta")) and any(m in name for m in CONFLICT_JAVA_MARKERS)


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
    spark: SparkSession, path: str, schema: T.StructType, properties: dict[str, str] | None = None, retries: int = 5,
    partition_by: Sequence[str] = (),
) -> DeltaTable:
    """Create an empty Delta table at `path` if there is none (safe when two runs race to create it).

    The schema is also stored as a table property, so a later run can tell the pipeline's columns from a user's.
    """

    def create() -> DeltaTable:
        builder = DeltaTable.createIfNotExists(spark).location(path).addColumns(schema)
        if partition_by:
            builder = builder.partitionedBy(*partition_by)
        for key, value in {**(properties or {}), SCHEMA_PROPERTY: schema.json()}.items():
            builder = builder.property(key, value)
        return builder.execute()

    for attempt in range(retries + 1):
        if DeltaTable.isDeltaTable(spark, path):
            return DeltaTable.forPath(spark, path)
        try:
            return create()
        except Exception:
            # Another run created it first (Delta reports a non-empty location or a conflict): use theirs.
            if DeltaTable.isDeltaTable(spark, path):
                return DeltaTable.forPath(spark, path)
            if attempt == retries:
                raise
            time.sleep(0.2 * (2**attempt))
    raise AssertionError("unreachable")  # pragma: no cover


class SchemaDrift(ValueError):
    """A lake table lost or retyped a column the pipeline writes, or gained one it cannot write (NOT NULL)."""


def check_schema(spark: SparkSession, lake: str, name: str) -> list[str]:
    """Columns a user added to table `name` (carried: new rows get nulls); SchemaDrift when a write would fail.

    Tables created before the schema property existed are not checked.
    """
    path = table_path(lake, name)
    if not DeltaTable.isDeltaTable(spark, path):
        return []
    table = DeltaTable.forPath(spark, path)
    stored = (table.detail().first().properties or {}).get(SCHEMA_PROPERTY)
    if not stored:
        return []
    ours = T.StructType.fromJson(json.loads(stored))
    actual = {f.name: f for f in table.toDF().schema.fields}
    for field in ours.fields:
        now = actual.get(field.name)
        if now is None:
            raise SchemaDrift(f"{name} has no column '{field.name}' any more (dropped or renamed by hand); the "
                              f"pipeline writes it: add it back, or rebuild the table")
        if now.dataType.simpleString() != field.dataType.simpleString():
            raise SchemaDrift(f"{name}.{field.name} is {now.dataType.simpleString()} in the table but the pipeline "
                              f"writes {field.dataType.simpleString()}")
    extra = [f for f in actual.values() if f.name not in ours.fieldNames()]
    for field in extra:
        if not field.nullable:
            raise SchemaDrift(f"{name}.{field.name} was added as NOT NULL; the pipeline cannot fill it for new "
                              f"rows: make it nullable or drop it")
    return [f.name for f in extra]


def describe_error(exc: BaseException) -> str:
    """One line for a user: the first line of the error, without the JVM stack."""
    text = str(exc).strip().splitlines()
    return text[0][:500] if text else type(exc).__name__


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


def append(spark: SparkSession, path: str, df: DataFrame, retries: int = 5,
           txn: tuple[str, int] | None = None, merge_schema: bool = False) -> None:
    """Append `df`; with `txn` = (app id, version) Delta skips the write if that version was already committed.

    `merge_schema` adds columns `df` has and the table lacks (our own additive schema changes, for older lakes).
    """
    writer = df.write.format("delta").mode("append")
    if merge_schema:
        writer = writer.option("mergeSchema", "true")
    if txn is not None:
        writer = writer.option("txnAppId", txn[0]).option("txnVersion", txn[1])
    with_retries(lambda: writer.save(path), retries, f"append to {path}")
    committed()


TXN_APP_ID_CONF = "spark.databricks.delta.write.txnAppId"
TXN_VERSION_CONF = "spark.databricks.delta.write.txnVersion"


def idempotent_dml(spark: SparkSession, txn: tuple[str, int], action: Callable[[], None], retries: int = 5,
                   what: str = "write") -> None:
    """Run a Delta DELETE/MERGE as transaction (app id, version): a rerun of a committed one is skipped by Delta."""
    def run() -> None:
        spark.conf.set(TXN_APP_ID_CONF, txn[0])
        spark.conf.set(TXN_VERSION_CONF, str(txn[1]))
        try:
            action()
        finally:  # the confs would otherwise apply to the session's next write too
            spark.conf.unset(TXN_APP_ID_CONF)
            spark.conf.unset(TXN_VERSION_CONF)

    with_retries(run, retries, what)
    committed()


def read_at(spark: SparkSession, lake: str, name: str, version_: int | None, schema: T.StructType | str) -> DataFrame:
    """A table as of `version_` (pinned by a stage's intent, so a rerun sees what the first attempt saw)."""
    if version_ is None:
        return spark.createDataFrame([], schema)
    return spark.read.format("delta").option("versionAsOf", version_).load(table_path(lake, name))


def changes_since(spark: SparkSession, lake: str, name: str, after: int, upto: int) -> DataFrame:
    """Rows inserted into an append-only table in versions (after, upto], from Delta's Change Data Feed."""
    df = (spark.read.format("delta").option("readChangeFeed", "true")
          .option("startingVersion", after + 1).option("endingVersion", upto).load(table_path(lake, name)))
    return df.where(F.col("_change_type") == "insert").drop("_change_type", "_commit_version", "_commit_timestamp")


def small_key_list(keys: DataFrame, limit: int = LOOKUP_IN_LIST_MAX) -> list | None:
    """The distinct values of a one-column frame if there are at most `limit` of them, else None."""
    rows = keys.distinct().limit(limit + 1).collect()
    return None if len(rows) > limit else [r[0] for r in rows]


def lookup(df: DataFrame, keys: DataFrame, key: str, limit: int = LOOKUP_IN_LIST_MAX) -> DataFrame:
    """Rows of `df` whose `key` is in `keys` (one column): a literal IN list when small, so files are skipped.

    The result is materialised (local checkpoint): later plans then hold a reference to it, not the IN list,
    which Spark's analyzer would otherwise copy at every join of a long plan.
    """
    values = small_key_list(keys, limit)
    if values == []:
        return df.limit(0)
    if values is not None:
        found = df.where(F.col(key).isin(values))
    else:
        found = df.join(keys.select(F.col(keys.columns[0]).alias(key)).distinct(), key, "left_semi")
    return found.localCheckpoint(eager=True)


def delete_keys(spark: SparkSession, path: str, keys: DataFrame, key: str, txn: tuple[str, int],
                extra: F.Column | None = None, retries: int = 5, limit: int = LOOKUP_IN_LIST_MAX) -> None:
    """Delete rows whose `key` is in `keys` (and `extra` holds), idempotently: IN-list delete or a MERGE."""
    values = small_key_list(keys, limit)
    if values == []:
        return
    if values is not None:
        cond = F.col(key).isin(values)
        cond = cond & extra if extra is not None else cond

        def action() -> None:
            DeltaTable.forPath(spark, path).delete(cond)
    else:
        source = keys.select(F.col(keys.columns[0]).alias("_k")).distinct()

        def action() -> None:
            merge = DeltaTable.forPath(spark, path).alias("t").merge(source.alias("s"), f"t.{key} = s._k")
            (merge.whenMatchedDelete(extra) if extra is not None else merge.whenMatchedDelete()).execute()
    idempotent_dml(spark, txn, action, retries, f"delete from {path}")


def read(spark: SparkSession, lake: str, name: str) -> DataFrame:
    return spark.read.format("delta").load(table_path(lake, name))


def drop_table(spark: SparkSession, lake: str, name: str) -> None:
    """Delete a table's directory through Hadoop's FileSystem, so it works on any filesystem (file:, s3a:, dbfs:)."""
    jvm = spark._jvm
    path = jvm.org.apache.hadoop.fs.Path(table_path(lake, name))
    fs = path.getFileSystem(spark._jsc.hadoopConfiguration())
    if fs.exists(path):
        fs.delete(path, True)


def exists(spark: SparkSession, lake: str, name: str) -> bool:
    return DeltaTable.isDeltaTable(spark, table_path(lake, name))


def version(spark: SparkSession, lake: str, name: str) -> int | None:
    """Latest Delta version of a table (None if absent): reports name the version they describe."""
    path = table_path(lake, name)
    if not DeltaTable.isDeltaTable(spark, path):
        return None
    return DeltaTable.forPath(spark, path).history(1).select("version").first()[0]


def catalog_name(name: str) -> str:
    """The metastore name of a lake table: ``bronze/documents`` -> ``bronze_documents``."""
    return name.replace("/", "_")


def register_tables(spark: SparkSession, lake: str, names: Iterable[str], schema: str,
                    catalog: str | None = None) -> list[str]:
    """Register the existing tables ``names`` as external Delta tables ``[catalog.]schema.<name>`` over their
    paths (idempotent: an existing registration is kept); returns the qualified names registered."""
    namespace = ".".join(f"`{part}`" for part in (catalog, schema) if part)
    spark.sql(f"CREATE SCHEMA IF NOT EXISTS {namespace}")
    done = []
    for name in names:
        if not exists(spark, lake, name):
            continue
        ident = f"{namespace}.`{catalog_name(name)}`"
        location = table_path(lake, name).replace("'", "\\'")
        spark.sql(f"CREATE TABLE IF NOT EXISTS {ident} USING DELTA LOCATION '{location}'")
        done.append(ident.replace("`", ""))
    return done
