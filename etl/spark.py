"""One way to get a SparkSession with Delta Lake, whether we run on a laptop, under spark-submit or on Databricks."""

from __future__ import annotations

import glob
import os
import re
import sys
import tempfile
import time
from pathlib import Path

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession

from etl import bundled
from etl.config import SparkConfig

DELTA_EXTENSION = "io.delta.sql.DeltaSparkSessionExtension"
DELTA_CATALOG = "org.apache.spark.sql.delta.catalog.DeltaCatalog"
# Maven coordinates of what `make setup` caches; the fallback when no local jar cache exists.
DELTA_PACKAGES = "io.delta:delta-spark_2.13:4.0.1"
JAR_CACHE_ENV = "ETL_JAR_CACHE"
# Spark Connect: `sc://host:port` in this variable makes get_spark build a Connect client (pyspark's own convention).
SPARK_REMOTE_ENV = "SPARK_REMOTE"
# Databricks serverless forbids persist/cache; "1"/"true" forces that mode anywhere (tests, other restricted hosts),
# "0"/"false" turns it off. Unset: detected from the Databricks runtime version (serverless ones are "client.N").
SERVERLESS_ENV = "ETL_SERVERLESS"
SERVERLESS_RUNTIME_PREFIX = "client."
TRUE_WORDS = ("1", "true", "yes", "on")
DEFAULT_JAR_CACHE = Path(__file__).resolve().parent.parent / ".cache" / "jars"
# Quieter local logs (WARN, no startup noise); sessions under spark-submit or on Databricks keep their own logging.
LOG4J_CONFIG = Path(str(bundled.resource(bundled.LOG4J_CONFIG)))
# System properties log4j2.properties reads: the log file, and the lowest level the console shows.
LOG_FILE_PROPERTY, CONSOLE_LEVEL_PROPERTY = "etl.log.file", "etl.log.console"
# Compiled query code kept per session (Spark's default 100): a refresh runs a few hundred small queries, and each
# refresh of a long session (a notebook, the test suite) repeats them; with 100 entries the code was compiled again
# each time. Four refreshes of data/sample in one session: 10-20% less time per repeat with 1,000-5,000 entries.
CODEGEN_CACHE_ENTRIES = 2000
LOG_DIR_NAME = "cc-etl-logs"  # under the temp directory, when spark.log_file is ""


def delta_jars(cache_dir: str | os.PathLike | None = None) -> list[str]:
    """The Delta jars `make setup` put in the local cache (empty if it has not run)."""
    root = Path(cache_dir or os.environ.get(JAR_CACHE_ENV) or DEFAULT_JAR_CACHE)
    return sorted(glob.glob(str(root / "*.jar")))


def log_file_for(cfg: SparkConfig) -> str:
    """The file a session built from ``cfg`` logs to: spark.log_file, else a new one per run in the temp directory."""
    if cfg.log_file:
        return os.path.abspath(cfg.log_file)
    folder = Path(tempfile.gettempdir()) / LOG_DIR_NAME
    return str(folder / f"{cfg.app_name}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log")


def session_log_file(spark: SparkSession) -> str | None:
    """The log file of a classic session get_spark launched (None otherwise: Connect, spark-submit, Databricks)."""
    context = classic_context(spark)
    options = context.getConf().get("spark.driver.extraJavaOptions", "") if context is not None else ""
    found = re.search(rf"-D{re.escape(LOG_FILE_PROPERTY)}=(\S+)", options or "")
    return found.group(1) if found else None


def _has_delta(spark: SparkSession) -> bool:
    return DELTA_EXTENSION in (spark.conf.get("spark.sql.extensions", "") or "")


def get_spark(cfg: SparkConfig | None = None) -> SparkSession:
    """Reuse the active session (Databricks, spark-submit, tests) or build a local one with Delta configured.

    A session we did not build is returned as is: on Databricks Delta is built in, under spark-submit the
    user passes `--jars`/`--packages` and the two Delta confs (see README). With SPARK_REMOTE=sc://host:port set,
    a Spark Connect client to that server is built instead.
    """
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    cfg = cfg or SparkConfig()
    remote = os.environ.get(SPARK_REMOTE_ENV)
    if remote:
        return _remote_session(remote, cfg)
    # Local workers must run the driver's interpreter (the venv), not whatever `python3` is first on PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    # spark-submit (and the pyspark shell) started the JVM with the user's --master and --jars/--packages already:
    # overriding them would silently run a cluster job in local mode.
    launched_by_spark_submit = "PYSPARK_GATEWAY_PORT" in os.environ
    builder = SparkSession.builder.appName(cfg.app_name)
    if not launched_by_spark_submit:
        builder = builder.master(cfg.master)
        if LOG4J_CONFIG.is_file():  # read when the driver JVM starts: only a session we launch uses it
            builder = builder.config("spark.driver.extraJavaOptions", " ".join((
                f"-Dlog4j2.configurationFile={LOG4J_CONFIG.as_uri()}",
                f"-D{LOG_FILE_PROPERTY}={log_file_for(cfg)}",
                f"-D{CONSOLE_LEVEL_PROPERTY}={cfg.console_log_level.upper()}")))
    builder = (
        builder.config("spark.sql.extensions", DELTA_EXTENSION)
        .config("spark.sql.catalog.spark_catalog", DELTA_CATALOG)
        .config("spark.sql.shuffle.partitions", str(cfg.shuffle_partitions))
        .config("spark.driver.memory", cfg.driver_memory)
        .config("spark.ui.enabled", str(cfg.ui_enabled).lower())
        .config("spark.sql.session.timeZone", "UTC")
        # Arrow batches bound the memory a Python worker holds at once.
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(cfg.arrow_batch_rows))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        # Delta replays its log with this many tasks (default 50): far too many for small lakes and local runs.
        .config("spark.databricks.delta.snapshotPartitions", str(cfg.shuffle_partitions))
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.codegen.cache.maxEntries", str(CODEGEN_CACHE_ENTRIES))
        # Our own writes decide file sizes; the Delta log keeps no long text statistics (see etl.tables).
        .config("spark.databricks.delta.schema.autoMerge.enabled", "false")
    )
    jars = [] if launched_by_spark_submit else delta_jars()
    if launched_by_spark_submit:
        pass  # the submit command line decides which jars the JVM has
    elif jars:
        builder = builder.config("spark.jars", ",".join(jars))
    else:  # no cache: let Ivy fetch from Maven Central (works online only)
        builder = builder.config("spark.jars.packages", DELTA_PACKAGES)
    for key, value in cfg.extra_conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    context = classic_context(spark)
    if context is not None:  # Spark Connect sets log levels on the server
        context.setLogLevel(cfg.log_level)
    return spark


def _runtime_conf(cfg: SparkConfig) -> dict[str, str]:
    """Session confs a Connect client can set at runtime (the server owns master, memory, jars and Delta's setup)."""
    return {
        "spark.sql.shuffle.partitions": str(cfg.shuffle_partitions),
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.maxRecordsPerBatch": str(cfg.arrow_batch_rows),
        "spark.databricks.delta.snapshotPartitions": str(cfg.shuffle_partitions),
        "spark.databricks.delta.schema.autoMerge.enabled": "false",
    }


def _remote_session(remote: str, cfg: SparkConfig) -> SparkSession:
    """A Spark Connect client for ``remote`` (sc://host:port) with the pipeline's runtime confs set on the server
    session; the server must have been started with Delta's jars and its two confs (README "Spark Connect")."""
    spark = SparkSession.builder.remote(remote).getOrCreate()
    for key, value in {**_runtime_conf(cfg), **cfg.extra_conf}.items():
        try:
            spark.conf.set(key, value)
        except Exception:  # a static conf (fixed when the server started) or one the host does not allow
            pass
    return spark


def is_connect(spark: SparkSession) -> bool:
    """True for a Spark Connect session (Databricks serverless and shared access mode, `sc://` clients)."""
    return type(spark).__module__.startswith("pyspark.sql.connect")


def classic_context(spark: SparkSession):
    """The SparkContext of a classic session; None on Spark Connect (Databricks serverless, shared access mode)."""
    if is_connect(spark):
        return None
    return spark.sparkContext


def classic_jvm(spark: SparkSession):
    """(SparkContext, its py4j JVM view) of a classic session, to build JVM objects on the driver; None on Connect."""
    sc = classic_context(spark)
    return None if sc is None else (sc, sc._jvm)


def serverless() -> bool:
    """True where persist/cache are forbidden: Databricks serverless, or ETL_SERVERLESS=1 (persist_or_checkpoint)."""
    forced = os.environ.get(SERVERLESS_ENV)
    if forced is not None and forced.strip():
        return forced.strip().lower() in TRUE_WORDS
    return os.environ.get("DATABRICKS_RUNTIME_VERSION", "").startswith(SERVERLESS_RUNTIME_PREFIX)


def persist_or_checkpoint(df: DataFrame) -> DataFrame:
    """``df`` materialised once for several actions: persisted (memory, spilling to disk) where Spark allows it,
    else a local checkpoint (serverless forbids persist; the checkpoint is computed now and read by later plans)."""
    if serverless():
        return df.localCheckpoint(eager=True)
    return df.persist(StorageLevel.MEMORY_AND_DISK)


def release(df: DataFrame | None) -> None:
    """Undo persist_or_checkpoint: unpersist where persist was used (serverless has nothing to unpersist)."""
    if df is not None and not serverless():
        df.unpersist()


def on_databricks() -> bool:
    """Databricks runtimes set this variable; Delta is built in there."""
    return "DATABRICKS_RUNTIME_VERSION" in os.environ


def require_delta(spark: SparkSession) -> None:
    """Fail early with a clear message when a session cannot write Delta tables (e.g. spark-submit without jars)."""
    if on_databricks():
        return
    if is_connect(spark):  # no JVM on this side: the server's confs say whether Delta is configured
        if _has_delta(spark):
            return
        raise RuntimeError(
            "The Spark Connect server has no Delta Lake: start it with --jars from .cache/jars (or "
            f"--packages {DELTA_PACKAGES}) and --conf spark.sql.extensions={DELTA_EXTENSION} "
            f"--conf spark.sql.catalog.spark_catalog={DELTA_CATALOG}"
        )
    from py4j.java_gateway import JavaClass

    # py4j resolves classes through Spark's context class loader (which sees --jars); an unknown class comes back
    # as a JavaPackage instead of a JavaClass.
    if isinstance(spark._jvm.io.delta.tables.DeltaTable, JavaClass) and _has_delta(spark):
        return
    raise RuntimeError(
        "This Spark session has no Delta Lake: start it with "
        f"--packages {DELTA_PACKAGES} (or --jars from .cache/jars) and "
        f"--conf spark.sql.extensions={DELTA_EXTENSION} "
        f"--conf spark.sql.catalog.spark_catalog={DELTA_CATALOG}"
    )
