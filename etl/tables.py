"""The Delta gateway: every read and write of a lake table goes through here, on classic and Spark Connect sessions.

Tables are named and laid out in etl.table_specs; `ensure` creates one from its spec. Writes are idempotent (Delta
transactions) and retried on concurrent-commit conflicts (etl.commits). Over Spark Connect, where Python's DeltaTable
needs the Delta Connect plugin, the same operations are issued as SQL (etl.connect_sql).
"""

from __future__ import annotations

import json
import os
import time
import uuid
from typing import Callable, Sequence
from urllib.parse import urlparse

from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from etl import connect_sql as sql
from etl import table_specs
from etl.catalog import column_comment
from etl.commits import committed, with_retries
from etl.io.sources import has_scheme
from etl.spark import is_connect

# A read that reached a file the Delta log still names but storage no longer has (VACUUM deleted it): Spark's error
# condition, Delta's for change data, Hadoop's exception.
MISSING_FILE_MARKERS = ("FILE_NOT_EXIST", "DELTA_CHANGE_DATA_FILE_NOT_FOUND", "FileNotFoundException")
# Lookups by key push the keys as a literal IN list (Delta's data skipping then reads only files whose min/max can
# hold a key) up to this many keys; larger key sets go through a semi-join.
LOOKUP_IN_LIST_MAX = 10_000
SCHEMA_PROPERTY = "etl.schema"  # the columns the pipeline created a table with (JSON); any others are a user's
CREATE_RETRIES = 5
TXN_APP_ID_CONF = "spark.databricks.delta.write.txnAppId"
TXN_VERSION_CONF = "spark.databricks.delta.write.txnVersion"


def new_run_id() -> str:
    """A run id: UTC time to the second, then 8 random hex digits (sortable, unique across parallel runs)."""
    from datetime import datetime, timezone

    return f"{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def describe_error(exc: BaseException) -> str:
    """One line for a user: the first line of the error, without the JVM stack."""
    text = str(exc).strip().splitlines()
    return text[0][:500] if text else type(exc).__name__


def _connect_is_delta(spark: SparkSession, path: str) -> bool:
    """DeltaTable.isDeltaTable over Connect: DESCRIBE DETAIL answers only for a Delta table."""
    try:
        row = spark.sql(f"DESCRIBE DETAIL {sql.ident(path)}").select("format").first()
    except Exception:  # no table, no directory, or not Delta
        return False
    return row is not None and (row.format or "").lower() == "delta"


def detail(spark: SparkSession, path: str):
    """DESCRIBE DETAIL's one row (numFiles, sizeInBytes, properties, ...) of the table at `path`."""
    return spark.sql(f"DESCRIBE DETAIL {sql.ident(path)}").first()


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


def ensure(spark: SparkSession, lake: str, name: str, schema: T.StructType | str | None = None,
           retries: int = CREATE_RETRIES) -> str:
    """Create lake table `name` from its spec (etl.table_specs) if it does not exist; returns its path.

    `schema` is needed only for tables whose spec takes its columns from the frame written (silver, gold/documents,
    ...); a DDL string is accepted too.
    """
    spec = table_specs.spec(name)
    schema = spec.schema if schema is None else schema
    if schema is None:
        raise ValueError(f"{name} takes its columns from the frame written: pass its schema")
    if isinstance(schema, str):
        schema = T._parse_datatype_string(schema)
    path = table_path(lake, name)
    ensure_table(spark, path, schema, spec.properties, retries, spec.partition_by, spec.comment)
    return path


def ensure_table(
    spark: SparkSession, path: str, schema: T.StructType, properties: dict[str, str] | None = None,
    retries: int = CREATE_RETRIES, partition_by: Sequence[str] = (), comment: str | None = None,
) -> None:
    """Create an empty Delta table at `path` if there is none (safe when two runs race to create it).

    The schema is also stored as a table property, so a later run can tell the pipeline's columns from a user's.
    Lake tables use `ensure`, which reads all of this from the table's spec.
    """
    props = {**(properties or {}), SCHEMA_PROPERTY: schema.json()}
    if is_connect(spark):
        def create() -> None:
            spark.sql(sql.create_table(path, with_column_comments(schema), props, partition_by, comment))

        def is_delta() -> bool:
            return _connect_is_delta(spark, path)
    else:
        def create() -> None:
            builder = DeltaTable.createIfNotExists(spark).location(path).addColumns(with_column_comments(schema))
            if comment:
                builder = builder.comment(comment)
            if partition_by:
                builder = builder.partitionedBy(*partition_by)
            for key, value in props.items():
                builder = builder.property(key, value)
            builder.execute()

        def is_delta() -> bool:
            return DeltaTable.isDeltaTable(spark, path)

    for attempt in range(retries + 1):
        if is_delta():
            return
        try:
            create()
            return
        except Exception:
            # Another run created it first (Delta reports a non-empty location or a conflict): use theirs.
            if is_delta():
                return
            if attempt == retries:
                raise
            time.sleep(0.2 * (2**attempt))


def with_column_comments(schema: T.StructType) -> T.StructType:
    """``schema`` with each column's catalog description as its comment (Delta and the metastore show them)."""
    fields = []
    for f in schema.fields:
        text = column_comment(f.name)
        metadata = {**(f.metadata or {}), "comment": text} if text and "comment" not in (f.metadata or {}) else f.metadata
        fields.append(T.StructField(f.name, f.dataType, f.nullable, metadata))
    return T.StructType(fields)


class SchemaDrift(ValueError):
    """A lake table lost or retyped a column the pipeline writes, or gained one it cannot write (NOT NULL)."""


def check_schema(spark: SparkSession, lake: str, name: str) -> list[str]:
    """Columns a user added to table `name` (carried: new rows get nulls); SchemaDrift when a write would fail.

    Tables created before the schema property existed are not checked.
    """
    path = table_path(lake, name)
    if not exists(spark, lake, name):
        return []
    stored = (detail(spark, path).properties or {}).get(SCHEMA_PROPERTY)
    if not stored:
        return []
    ours = T.StructType.fromJson(json.loads(stored))
    actual = {f.name: f for f in spark.read.format("delta").load(path).schema.fields}
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


def append(spark: SparkSession, path: str, df: DataFrame, retries: int = 5,
           txn: tuple[str, int] | None = None, merge_schema: bool = False) -> bool:
    """Append `df`; with `txn` = (app id, version) Delta skips the write if that version was already committed.

    Returns whether this call added the rows: False when the transaction had been committed already (by a crashed
    earlier attempt, or by a concurrent run given the same batch), so callers report what they added, not what
    they parsed. Checked before each attempt (`txn_committed`); a conflict with the run that commits it meanwhile
    is retried and then seen. Over Spark Connect the check cannot be made and True is returned.
    `merge_schema` adds columns `df` has and the table lacks (our own additive schema changes, for older lakes).
    """
    writer = df.write.format("delta").mode("append")
    if merge_schema:
        writer = writer.option("mergeSchema", "true")
    if txn is not None:
        writer = writer.option("txnAppId", txn[0]).option("txnVersion", txn[1])

    def attempt() -> bool:
        if txn is not None and txn_committed(spark, path, txn):
            return False
        writer.save(path)
        return True

    added = with_retries(attempt, retries, f"append to {path}")
    if added:
        committed()
    return added


def txn_committed(spark: SparkSession, path: str, txn: tuple[str, int]) -> bool | None:
    """Whether the table at `path` has committed transaction `txn` = (app id, version) or a later version of that
    app id: its latest snapshot's SetTransaction ids, the ones Delta's own skip reads. None where the JVM's Delta
    log cannot be asked (Spark Connect)."""
    done = _from_snapshot(spark, path, lambda snapshot: snapshot.transactions().get(txn[0]))
    # None: another Delta release's signature (or Connect); Delta's own skip still holds, only the count may not
    return None if done is None else bool(done.isDefined() and done.get() >= txn[1])


def _from_snapshot(spark: SparkSession, path: str, read: Callable):
    """`read(snapshot)` of the Delta log's latest snapshot of `path`, asked of the driver's DeltaLog (no Spark job);
    None when the JVM cannot be asked (Spark Connect, another Delta release's signature)."""
    if is_connect(spark):
        return None
    from py4j.protocol import Py4JError

    try:
        jvm = spark._jvm
        unset = jvm.scala.Option.apply(None)
        log = jvm.org.apache.spark.sql.delta.DeltaLog.forTable(spark._jsparkSession, path)
        return read(log.update(False, unset, unset))
    except Py4JError:
        return None


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
    """Rows inserted into an append-only table in versions (after, upto], from Delta's Change Data Feed; from the
    start (after -1) that is the table as of `upto`, which stays readable after VACUUM removed compacted files."""
    if after < 0:
        return spark.read.format("delta").option("versionAsOf", upto).load(table_path(lake, name))
    df = (spark.read.format("delta").option("readChangeFeed", "true")
          .option("startingVersion", after + 1).option("endingVersion", upto).load(table_path(lake, name)))
    return df.where(F.col("_change_type") == "insert").drop("_change_type", "_commit_version", "_commit_timestamp")


def is_missing_file(exc: BaseException) -> bool:
    """True when a read failed because a file named by the Delta log is gone from storage."""
    return any(marker in str(exc) for marker in MISSING_FILE_MARKERS)


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
                extra: F.Column | str | None = None, retries: int = 5, limit: int = LOOKUP_IN_LIST_MAX) -> None:
    """Delete rows whose `key` is in `keys` (and `extra` holds), idempotently: IN-list delete or a MERGE.

    `extra` as a SQL string works on every session; a Column cannot be turned into SQL, so Spark Connect needs a string.
    """
    values = small_key_list(keys, limit)
    if values == []:
        return
    if is_connect(spark):
        _connect_delete_keys(spark, path, keys, key, txn, values, extra, retries)
        return
    if isinstance(extra, str):
        extra = F.expr(extra)
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


def _connect_delete_keys(spark: SparkSession, path: str, keys: DataFrame, key: str, txn: tuple[str, int],
                         values: list | None, extra: F.Column | str | None, retries: int) -> None:
    """delete_keys over Connect: DELETE ... WHERE key IN (...) for a small key set, else MERGE ... THEN DELETE."""
    if extra is not None and not isinstance(extra, str):
        raise TypeError("over Spark Connect, delete_keys needs `extra` as a SQL string")
    if values is not None:
        cond = f"`{key}` IN ({', '.join(sql.literal(v) for v in values)})" + (f" AND ({extra})" if extra else "")

        def action() -> None:
            spark.sql(f"DELETE FROM {sql.ident(path)} WHERE {cond}")
    else:
        def action() -> None:
            view = sql.CONNECT_VIEW_PREFIX + uuid.uuid4().hex
            keys.select(F.col(keys.columns[0]).alias("_k")).distinct().createOrReplaceTempView(view)
            matched = f"WHEN MATCHED AND ({extra}) THEN DELETE" if extra else "WHEN MATCHED THEN DELETE"
            try:
                spark.sql(f"MERGE INTO {sql.ident(path)} t USING `{view}` s ON t.`{key}` = s._k {matched}")
            finally:
                spark.catalog.dropTempView(view)
    idempotent_dml(spark, txn, action, retries, f"delete from {path}")


def read(spark: SparkSession, lake: str, name: str) -> DataFrame:
    return spark.read.format("delta").load(table_path(lake, name))


def drop_table(spark: SparkSession, lake: str, name: str) -> None:
    """Delete a table's directory through Hadoop's FileSystem, so it works on any filesystem (file:, s3a:, dbfs:).

    A Spark Connect client has no Hadoop FileSystem (and its local disk need not be the server's), so there the
    table is emptied in place with one Delta DELETE instead: it keeps its schema and history, the next writes start
    from no rows, and VACUUM (jobs/housekeeping.py) removes the old files once they leave the retention period.
    """
    if is_connect(spark):
        if exists(spark, lake, name):
            spark.sql(f"DELETE FROM {sql.ident(table_path(lake, name))}")
        return
    jvm = spark._jvm
    path = jvm.org.apache.hadoop.fs.Path(table_path(lake, name))
    fs = path.getFileSystem(spark._jsc.hadoopConfiguration())
    if fs.exists(path):
        fs.delete(path, True)


def exists(spark: SparkSession, lake: str, name: str) -> bool:
    path = table_path(lake, name)
    return _connect_is_delta(spark, path) if is_connect(spark) else DeltaTable.isDeltaTable(spark, path)


def version(spark: SparkSession, lake: str, name: str) -> int | None:
    """Latest Delta version of a table (None if absent): stages find new work and pin what they read with it."""
    path = table_path(lake, name)
    found = _snapshot_version(spark, path)
    if found is not None:
        return found if found >= 0 else None
    if not exists(spark, lake, name):
        return None
    return latest_version(spark, path)


def _snapshot_version(spark: SparkSession, path: str) -> int | None:
    """The version of the Delta log's latest snapshot, -1 without a table, asked of the driver's DeltaLog: no Spark
    job and one log listing, where DESCRIBE HISTORY runs a job (a refresh asks for a dozen versions). None when the
    JVM cannot be asked (Spark Connect, another Delta release's signature)."""
    return _from_snapshot(spark, path, lambda snapshot: int(snapshot.version()))


def commit_time(spark: SparkSession, lake: str, name: str, version_: int):
    """When a version of a table was committed (a datetime; None once the history no longer lists it), by SQL so
    classic and Connect sessions read it alike."""
    row = (spark.sql(f"DESCRIBE HISTORY {sql.ident(table_path(lake, name))}")
           .where(F.col("version") == version_).select("timestamp").first())
    return row[0] if row is not None else None


def data_files(spark: SparkSession, path: str) -> list[str]:
    """The data files of the table's latest snapshot (Delta names them from its log; no data is read)."""
    return spark.read.format("delta").load(path).inputFiles()


def latest_version(spark: SparkSession, path: str) -> int:
    """Latest version of the Delta table at `path` (which must exist)."""
    found = _snapshot_version(spark, path)
    if found is not None and found >= 0:
        return found
    if is_connect(spark):
        return spark.sql(f"DESCRIBE HISTORY {sql.ident(path)} LIMIT 1").select("version").first()[0]
    return DeltaTable.forPath(spark, path).history(1).select("version").first()[0]


def optimize(spark: SparkSession, path: str, zorder: Sequence[str] = (), retries: int = CREATE_RETRIES) -> None:
    """Compact the table's small files (OPTIMIZE), clustering by `zorder` when given; retried on conflicts."""
    with_retries(lambda: spark.sql(sql.optimize(path, zorder)).collect(), retries, f"optimize {path}")


def vacuum(spark: SparkSession, path: str, hours: float, dry_run: bool = False) -> list[str]:
    """VACUUM with a retention of `hours`; with `dry_run` only the paths it would delete (VACUUM itself returns
    no count)."""
    rows = spark.sql(sql.vacuum(path, hours, dry_run)).collect()
    return [r[0] for r in rows] if dry_run else []


def update_where(spark: SparkSession, lake: str, name: str, assignments: dict[str, str], key: str,
                 values: Sequence) -> None:
    """UPDATE table `name` SET column = SQL expression ... WHERE `key` IN (values): a small bookkeeping update."""
    sets = ", ".join(f"{sql.column(c)} = {expr}" for c, expr in assignments.items())
    keys = ", ".join(sql.literal(v) for v in values)
    spark.sql(f"UPDATE {sql.ident(table_path(lake, name))} SET {sets} WHERE {sql.column(key)} IN ({keys})")
