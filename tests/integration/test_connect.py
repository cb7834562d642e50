"""The refresh through Spark Connect, the way Databricks serverless and shared clusters run it: pyspark's own Connect
server with Delta on loopback, the pipeline as a thin client (no RDD, no SparkContext, no JVM on the client), and
persist replaced by local checkpoints as serverless requires (ETL_SERVERLESS=1).

Oracle: the same refresh of the same files in a classic local session, run first in its own process (never two
Spark JVMs at once). Both must give the same bronze rows, quarantine, silver count and gold doc_ids.

Run with `make test-connect` (a few minutes on 2 cores: two full refreshes).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers.pipeline_run import parse_stats
from tests.helpers.spark_procs import PIPELINE_RUN, base_env, connect_server, run_python, tail

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
# Small but covering every stage: a clean file, a truncated download (quarantine) and planted duplicates (dedup).
INPUT_FILES = ("CC-MAIN-2024-22-whirlwind.warc.wet.gz", "CC-MAIN-2016-50-truncated-download.wet.gz",
               "GENERATED-duplicates-clough-stevenson-and-mirrors.warc.wet.gz")
RUN_TIMEOUT_S = 1200
LOG_TAIL_CHARS = 4000
# Client-side APIs a Connect session does not have; only etl/spark.py (classic_context, require_delta) and the
# classic branch of tables.drop_table may touch them.
CLASSIC_ONLY = re.compile(r"\.rdd\b|\bsparkContext\b|\._jvm\b|\._jsc\b|\bSparkContext\b")
CLASSIC_ONLY_ALLOWED = {"etl/spark.py", "etl/tables.py"}


def _inputs() -> list[str]:
    return [str(SAMPLE / name) for name in INPUT_FILES]


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    """Stats of a classic refresh, then (after its JVM exited) of a Connect refresh of the same files."""
    from etl.spark import delta_jars

    jars = delta_jars()
    if len(jars) < 2:
        pytest.skip("Delta jars not cached: run `make setup`")
    scratch = tmp_path_factory.mktemp("connect")
    env = base_env(scratch)

    classic_env = {**env, "ETL_SERVERLESS": "0"}
    code, out, seconds = run_python([str(PIPELINE_RUN), "--lake", str(scratch / "classic_lake"), "--input",
                                     *_inputs()], classic_env, scratch / "classic.log", RUN_TIMEOUT_S)
    assert code == 0, out[-LOG_TAIL_CHARS:]
    print(f"classic refresh: {seconds:.0f}s")
    classic = parse_stats(out)

    server_log = scratch / "connect-server.log"
    with connect_server(jars, env, server_log) as url:
        client_env = {**env, "SPARK_REMOTE": url, "ETL_SERVERLESS": "1"}
        code, out, seconds = run_python([str(PIPELINE_RUN), "--lake", str(scratch / "connect_lake"), "--drop-check",
                                         "--input", *_inputs()], client_env, scratch / "connect.log", RUN_TIMEOUT_S)
        assert code == 0, f"{out[-LOG_TAIL_CHARS:]}\n--- server\n{tail(server_log)}"
    print(f"Spark Connect refresh: {seconds:.0f}s")
    return {"classic": classic, "connect": parse_stats(out)}


@pytest.mark.connect
def test_connect_refresh_matches_classic(runs):
    classic, connect = runs["classic"], runs["connect"]
    assert connect["connect"] is True and classic["connect"] is False  # really two kinds of session
    assert classic["bronze_rows"] > 0 and classic["quarantine_rows"] >= 1  # the truncated download
    assert classic["duplicates"] >= 1 and 0 < len(classic["gold_doc_ids"]) < classic["silver_rows"]
    for key in ("bronze_rows", "bronze_digest", "quarantine_rows", "quarantine_reasons", "quarantine_digest",
                "ingest_log_rows", "silver_rows", "duplicates"):
        assert connect[key] == classic[key], key
    assert connect["gold_doc_ids"] == classic["gold_doc_ids"]
    assert connect["heartbeat_activity"] == ""  # the heartbeat reads no status tracker over Connect


@pytest.mark.connect
def test_table_maintenance_over_connect(runs):
    # delete_keys in its MERGE form with a SQL `extra`, and drop_table, which over Connect empties the table in place.
    assert runs["connect"]["drop_check"] == {"after_delete": ["d0", "d2"], "rows_after_drop": 0}


def test_pipeline_code_needs_no_classic_only_api():
    """Serverless and Connect have no RDDs, SparkContext or py4j: only the classic branches may use them."""
    offenders = []
    for path in sorted((ROOT / "etl").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel in CLASSIC_ONLY_ALLOWED:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if CLASSIC_ONLY.search(code) and "classic_context" not in code:
                offenders.append(f"{rel}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize("forced, runtime, expected", [
    ("1", None, True), ("true", "15.4", True), ("0", "client.1.5", False),
    (None, "client.1.5", True), (None, "15.4", False), (None, None, False),
])
def test_serverless_mode_is_forced_by_env_or_read_from_the_runtime(monkeypatch, forced, runtime, expected):
    from etl.spark import SERVERLESS_ENV, serverless

    for name, value in ((SERVERLESS_ENV, forced), ("DATABRICKS_RUNTIME_VERSION", runtime)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert serverless() is expected


def test_delta_conflicts_are_recognised_by_their_error_condition_over_connect():
    # A Connect client gets Delta's error condition, not the Java exception: retries must still happen.
    from pyspark.errors.exceptions.connect import SparkConnectGrpcException

    from etl.commits import is_conflict

    assert is_conflict(SparkConnectGrpcException("conflict", errorClass="DELTA_CONCURRENT_APPEND.WITHOUT_HINT"))
    assert is_conflict(SparkConnectGrpcException("conflict", errorClass="DELTA_METADATA_CHANGED"))
    assert not is_conflict(SparkConnectGrpcException("missing", errorClass="DELTA_TABLE_NOT_FOUND"))


def test_sql_literals_for_connect_statements_are_escaped():
    from etl.connect_sql import ident, literal

    assert literal("it's \\ here") == "'it\\'s \\\\ here'"
    assert literal(42) == "42"
    assert ident("/lake/we`ird") == "delta.`/lake/we``ird`"
    with pytest.raises(TypeError):
        literal(True)
