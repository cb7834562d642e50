"""Delta table helpers shared by every layer: locations, creation, idempotent writes, conflict retries."""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from typing import Callable, Iterable, Sequence, TypeVar
from urllib.parse import urlparse

from delta.exceptions import DeltaConcurrentModificationException
from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from etl.catalog import column_comment
from etl.io.sources import has_scheme
from etl.spark import is_connect

T_ = TypeVar("T_")

# Every table name under the lake root, in one place (the README lists their schemas); the metastore name is the
# same with "_" for "/" (catalog_name). Each stage's own modules re-export the names they write.
BRONZE_DOCUMENTS = "bronze/documents"
BRONZE_QUARANTINE = "bronze/quarantine"
BRONZE_INGEST_LOG = "bronze/ingest_log"
SILVER_DOCUMENTS = "silver/documents"
GOLD_DOCUMENTS = "gold/documents"
GOLD_REJECTIONS = "gold/rejections"
GOLD_DUPLICATES = "gold/duplicates"
GOLD_MINHASH_INDEX = "gold/minhash_index"
GOLD_MINHASH_EDGES = "gold/minhash_edges"
GOLD_CLUSTERS = "gold/clusters"
GOLD_CONTAMINATION = "gold/contamination"
GOLD_BENCHMARKS = "gold/benchmarks"
GOLD_BENCHMARK_NGRAMS = "gold/benchmark_ngrams"
INGEST_BATCHES = "_state/ingest_batches"
PROGRESS = "_state/progress"
RUNS = "_runs"
GOLD_TABLES = (GOLD_DOCUMENTS, GOLD_REJECTIONS, GOLD_DUPLICATES, GOLD_MINHASH_INDEX, GOLD_MINHASH_EDGES, GOLD_CLUSTERS,
               GOLD_CONTAMINATION, GOLD_BENCHMARKS, GOLD_BENCHMARK_NGRAMS)
DATA_TABLES = (BRONZE_DOCUMENTS, BRONZE_QUARANTINE, BRONZE_INGEST_LOG, SILVER_DOCUMENTS, *GOLD_TABLES)
# Stage names: the keys of _state/progress and of _runs rows.
STAGE_BRONZE, STAGE_SILVER, STAGE_GOLD = "bronze", "silver", "gold"
# Table comments (Delta and the metastore show them); column comments come from etl.catalog.
TABLE_COMMENTS = {
    BRONZE_DOCUMENTS: "One row per Common Crawl WET conversion record (or other source document), as read.",
    BRONZE_QUARANTINE: "Every bad record or file, with the reason and where: nothing is dropped silently.",
    BRONZE_INGEST_LOG: "One row per input file and run: what happened to it; makes refreshes incremental.",
    SILVER_DOCUMENTS: "Normalised text with one column per signal (scores only; thresholds decide in gold).",
    GOLD_DOCUMENTS: "Kept documents: passed every active rule and survived exact and near-duplicate removal.",
    GOLD_REJECTIONS: "Documents set aside, with the first rule that dropped each (drop_reason).",
    GOLD_DUPLICATES: "Documents removed as exact or near duplicates, with the copy that was kept.",
    GOLD_MINHASH_INDEX: "LSH band keys of every kept document: the incremental near-duplicate index.",
    GOLD_MINHASH_EDGES: "Candidate pairs that passed verification (Jaccard), per refresh.",
    GOLD_CLUSTERS: "Near-duplicate clusters: member -> the kept representative.",
    GOLD_CONTAMINATION: "Documents sharing a word n-gram with a benchmark: which one, how many n-grams, dropped or flagged.",
    GOLD_BENCHMARKS: "Benchmarks in the decontamination index: fingerprint, size, whether existing gold was re-checked.",
    GOLD_BENCHMARK_NGRAMS: "Hashes of the benchmarks' word n-grams: the decontamination index gold joins against.",
    RUNS: "One row per refresh and stage: rows in, rows out, seconds.",
}


def new_run_id() -> str:
    """A run id: UTC time to the second, then 8 random hex digits (sortable, unique across parallel runs)."""
    import uuid
    from datetime import datetime, timezone

    return f"{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"

# Test-only fault injection: SIGKILL this process after N successful commits, to prove crash safety.
KILL_AFTER_COMMITS_ENV = "ETL_KILL_AFTER_COMMITS"
_commits = 0

# Delta's optimistic-concurrency errors (another writer committed first) are recognised by type: re-reading and
# retrying is safe for our idempotent writes; every other error is raised at once.
CONFLICT_JAVA_MARKERS = ("Concurrent", "MetadataChangedException", "ProtocolChangedException")
# The same family as Delta's error conditions: all a Spark Connect client sees of a server-side exception.
CONFLICT_ERROR_CONDITIONS = ("DELTA_CONCURRENT_", "DELTA_METADATA_CHANGED", "DELTA_PROTOCOL_CHANGED")


# Layout and features per table: Change Data Feed where a later stage reads what changed. See README "Table layout".
CDF = {"delta.enableChangeDataFeed": "true"}
# Tables that delete rows by key are created without deletion vectors, explicitly (Databricks turns them on for new
# tables by default): a table with them needs the `deletionVectors` reader feature, which delta-rs's pyarrow path
# (deltalake 1.6.6, Polars) refuses (README "Readers"). A keyed delete then rewrites the files that hold the keys.
DELETION_VECTORS = {"delta.enableDeletionVectors": "false"}
# A read that reached a file the Delta log still names but storage no longer has (VACUUM deleted it): Spark's error
# condition, Delta's for change data, Hadoop's exception.
MISSING_FILE_MARKERS = ("FILE_NOT_EXIST", "DELTA_CHANGE_DATA_FILE_NOT_FOUND", "FileNotFoundException")
# Lookups by key push the keys as a literal IN list (Delta's data skipping then reads only files whose min/max can
# hold a key) up to this many keys; larger key sets go through a semi-join.
LOOKUP_IN_LIST_MAX = 10_000
SCHEMA_PROPERTY = "etl.schema"  # the columns the pipeline created a table with (JSON); any others are a user's
# Over Spark Connect, Delta operations are issued as SQL on `delta.`<path>``: a Connect server then needs only
# delta-spark and its two confs, not the Delta Connect plugin that Python's DeltaTable needs there.
CONNECT_VIEW_PREFIX = "_etl_src_"


def _sql_ident(path: str) -> str:
    """The path-based Delta table identifier delta.`path` (backticks in the path doubled)."""
    return "delta.`" + path.replace("`", "``") + "`"


def _sql_string(value: str) -> str:
    """A Spark SQL string literal (backslash and quote escaped)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _sql_literal(value) -> str:
    """A key value as SQL: strings quoted, numbers as they are (the only key types the pipeline deletes by)."""
    if isinstance(value, str):
        return _sql_string(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"cannot write {type(value).__name__} keys as SQL literals")
    return repr(value)


def _connect_is_delta(spark: SparkSession, path: str) -> bool:
    """DeltaTable.isDeltaTable over Connect: DESCRIBE DETAIL answers only for a Delta table."""
    try:
        row = spark.sql(f"DESCRIBE DETAIL {_sql_ident(path)}").select("format").first()
    except Exception:  # no table, no directory, or not Delta
        return False
    return row is not None and (row.format or "").lower() == "delta"


def _connect_create(spark: SparkSession, path: str, schema: T.StructType, properties: dict[str, str],
                    partition_by: Sequence[str], comment: str | None = None) -> None:
    """DeltaTable.createIfNotExists over Connect, as CREATE TABLE IF NOT EXISTS (same columns, nullability,
    comments, partitioning and properties)."""
    def column(f: T.StructField) -> str:
        text = (f.metadata or {}).get("comment")
        return (f"`{f.name.replace('`', '``')}` {f.dataType.simpleString()}" + ("" if f.nullable else " NOT NULL")
                + (f" COMMENT {_sql_string(text)}" if text else ""))

    columns = ", ".join(column(f) for f in schema.fields)
    parts = f" PARTITIONED BY ({', '.join(f'`{c}`' for c in partition_by)})" if partition_by else ""
    props = ", ".join(f"{_sql_string(k)} = {_sql_string(v)}" for k, v in properties.items())
    spark.sql(f"CREATE TABLE IF NOT EXISTS {_sql_ident(path)} ({columns}) USING DELTA{parts}"
              + (f" COMMENT {_sql_string(comment)}" if comment else "")
              + (f" TBLPROPERTIES ({props})" if props else ""))


def _connect_detail(spark: SparkSession, path: str):
    return spark.sql(f"DESCRIBE DETAIL {_sql_ident(path)}").first()


def _connect_merge_insert(spark: SparkSession, path: str, df: DataFrame, cond: str) -> None:
    """merge().whenNotMatchedInsertAll() over Connect: MERGE INTO from a temporary view of ``df``."""
    view = CONNECT_VIEW_PREFIX + uuid.uuid4().hex
    df.createOrReplaceTempView(view)
    try:
        spark.sql(f"MERGE INTO {_sql_ident(path)} t USING `{view}` s ON {cond} WHEN NOT MATCHED THEN INSERT *")
    finally:
        spark.catalog.dropTempView(view)


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
    condition = getattr(exc, "getCondition", None)
    if callable(condition) and (condition() or "").startswith(CONFLICT_ERROR_CONDITIONS):
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
) -> DeltaTable | None:
    """Create an empty Delta table at `path` if there is none (safe when two runs race to create it); returns it
    (None over Spark Connect, where the table is created with SQL).

    The schema is also stored as a table property, so a later run can tell the pipeline's columns from a user's.
    """
    if is_connect(spark):
        comment = next((text for name, text in TABLE_COMMENTS.items() if path.endswith("/" + name)), None)
        for attempt in range(retries + 1):
            try:
                _connect_create(spark, path, with_column_comments(schema),
                                {**(properties or {}), SCHEMA_PROPERTY: schema.json()}, partition_by, comment)
                return None
            except Exception:
                if _connect_is_delta(spark, path):  # another run created it first
                    return None
                if attempt == retries:
                    raise
                time.sleep(0.2 * (2**attempt))

    def create() -> DeltaTable:
        builder = DeltaTable.createIfNotExists(spark).location(path).addColumns(with_column_comments(schema))
        comment = next((text for name, text in TABLE_COMMENTS.items() if path.endswith("/" + name)), None)
        if comment:
            builder = builder.comment(comment)
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
    detail = _connect_detail(spark, path) if is_connect(spark) else DeltaTable.forPath(spark, path).detail().first()
    stored = (detail.properties or {}).get(SCHEMA_PROPERTY)
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
        if is_connect(spark):
            _connect_merge_insert(spark, path, df, cond)
            return
        (
            DeltaTable.forPath(spark, path).alias("t")
            .merge(df.alias("s"), cond)
            .whenNotMatchedInsertAll()
            .execute()
        )

    with_retries(merge, retries, f"merge into {path}")
    committed()


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
    if is_connect(spark):
        return None
    from py4j.protocol import Py4JError

    try:
        jvm = spark._jvm
        unset = jvm.scala.Option.apply(None)
        log = jvm.org.apache.spark.sql.delta.DeltaLog.forTable(spark._jsparkSession, path)
        done = log.update(False, unset, unset).transactions().get(txn[0])
    except Py4JError:  # another Delta release's signature: Delta's own skip still holds, only the count may not
        return None
    return bool(done.isDefined() and done.get() >= txn[1])


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
        cond = f"`{key}` IN ({', '.join(_sql_literal(v) for v in values)})" + (f" AND ({extra})" if extra else "")

        def action() -> None:
            spark.sql(f"DELETE FROM {_sql_ident(path)} WHERE {cond}")
    else:
        def action() -> None:
            view = CONNECT_VIEW_PREFIX + uuid.uuid4().hex
            keys.select(F.col(keys.columns[0]).alias("_k")).distinct().createOrReplaceTempView(view)
            matched = f"WHEN MATCHED AND ({extra}) THEN DELETE" if extra else "WHEN MATCHED THEN DELETE"
            try:
                spark.sql(f"MERGE INTO {_sql_ident(path)} t USING `{view}` s ON t.`{key}` = s._k {matched}")
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
            spark.sql(f"DELETE FROM {_sql_ident(table_path(lake, name))}")
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
    """Latest Delta version of a table (None if absent): reports name the version they describe."""
    path = table_path(lake, name)
    if not exists(spark, lake, name):
        return None
    if is_connect(spark):
        return spark.sql(f"DESCRIBE HISTORY {_sql_ident(path)} LIMIT 1").select("version").first()[0]
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
