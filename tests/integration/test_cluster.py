"""jobs/refresh.py under spark-submit on a real Spark standalone cluster: a master and two one-core workers on
loopback, started with pyspark's own `spark-class`, torn down even when a test fails.

What it proves: the job file runs unchanged under spark-submit on a cluster; the `etl` package reaches the
executors as an archive (the `--py-files` form is checked in tests/test_packaging.py); two executors build the same tables as a
local run (the determinism principle in DESIGN.md); and a second refresh with nothing new changes no table version.

Run with `make test-cluster` (wrap it in `flock /tmp/spark.lock` on a shared machine). It takes a few minutes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.helpers.spark_procs import LOG_TAIL_CHARS, LOOPBACK, free_port, spark_home, stop_group, tail

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
REFRESH_JOB = ROOT / "jobs" / "refresh.py"
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON if VENV_PYTHON.exists() else Path(sys.executable))
WORKERS = 2
WORKER_CORES = 1
WORKER_MEMORY = "1g"
# The executor takes all of its worker's memory; the driver only plans jobs and collects tiny summaries.
EXECUTOR_MEMORY = "1g"
DRIVER_MEMORY = "1g"
# Bounded waits: a cluster that does not come up, or a job that hangs, fails the test instead of blocking CI.
STARTUP_TIMEOUT_S = 120
POLL_INTERVAL_S = 1.0
SUBMIT_TIMEOUT_S = 1200
LOCAL_RUN_TIMEOUT_S = 900
ARCHIVE_ALIAS = "etl_pkg"

# Reads one lake in its own local Spark process and prints, per table: version, row count and a digest of the
# sorted doc_ids, so that two lakes can be compared table by table without holding both in one session.
LAKE_STATS_SCRIPT = """
import hashlib, json, sys
sys.path.insert(0, sys.argv[2])
from etl import tables
from etl.config import SparkConfig
from etl.table_specs import DATA_TABLES
from etl.spark import get_spark

spark = get_spark(SparkConfig(master="local[1]", shuffle_partitions=2, ui_enabled=False, log_level="ERROR"))
stats = {}
for name in DATA_TABLES:
    if not tables.exists(spark, sys.argv[1], name):
        stats[name] = None
        continue
    df = tables.read(spark, sys.argv[1], name)
    ids = sorted(r[0] for r in df.select("doc_id").collect()) if "doc_id" in df.columns else None
    stats[name] = {"version": tables.version(spark, sys.argv[1], name), "rows": df.count(),
                   "doc_ids": hashlib.sha256("\\n".join(ids).encode()).hexdigest() if ids is not None else None}
print("LAKE_STATS " + json.dumps(stats, sort_keys=True))
spark.stop()
"""


def _run_in_group(cmd: list[str], env: dict, log: Path, timeout_s: float, cwd: Path = ROOT) -> tuple[int, str, float]:
    """Run `cmd` in its own process group (so a timeout kills the driver's JVM and Python children too)."""
    started = time.monotonic()
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            code = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            stop_group(proc)
            pytest.fail(f"timed out after {timeout_s}s: {' '.join(cmd)}\n{tail(log)}")
        finally:
            stop_group(proc)
    return code, log.read_text(errors="replace"), time.monotonic() - started


@dataclass
class Cluster:
    master_url: str
    webui_port: int
    root: Path
    env: dict
    processes: list = field(default_factory=list)

    def state(self) -> dict:
        with urllib.request.urlopen(f"http://{LOOPBACK}:{self.webui_port}/json/", timeout=5) as response:
            return json.load(response)

    def worker_dirs(self) -> list[Path]:
        return [self.root / f"worker-{i}" for i in range(WORKERS)]

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{tail(p)}" for p in sorted(self.root.glob("*.log")))


def _base_env(scratch: Path) -> dict:
    env = dict(os.environ)
    env.update({
        "SPARK_HOME": str(spark_home()),
        "SPARK_LOCAL_IP": LOOPBACK,
        "PYSPARK_PYTHON": PYTHON,
        "PYSPARK_DRIVER_PYTHON": PYTHON,
        # Keep shuffle spills, event logs and Ivy out of the shared /tmp and the user's home.
        "SPARK_LOCAL_DIRS": str(scratch / "local"),
    })
    # A PYTHONPATH from the caller (e.g. a checkout) would hide whether the shipped archive is what executors use.
    env.pop("PYTHONPATH", None)
    return env


def _start(cmd: list[str], env: dict, log: Path, processes: list) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, cwd=log.parent, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
                            start_new_session=True)
    processes.append(proc)
    return proc


def _wait_for_workers(cluster: Cluster) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        dead = [p for p in cluster.processes if p.poll() is not None]
        if dead:
            raise RuntimeError(f"a cluster process exited with code {dead[0].returncode}\n{cluster.logs()}")
        try:
            if cluster.state().get("aliveworkers") == WORKERS:
                return
        except OSError:  # master web UI not up yet
            pass
        time.sleep(POLL_INTERVAL_S)
    raise RuntimeError(f"{WORKERS} workers did not register within {STARTUP_TIMEOUT_S}s\n{cluster.logs()}")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    from etl.spark import delta_jars

    if len(delta_jars()) < 2:
        pytest.skip("Delta jars not cached: run `make setup`")
    spark_class = spark_home() / "bin" / "spark-class"
    root = tmp_path_factory.mktemp("standalone")
    env = _base_env(root)
    (root / "local").mkdir()
    port, webui = free_port(), free_port()
    cluster = Cluster(f"spark://{LOOPBACK}:{port}", webui, root, env)
    try:
        _start([str(spark_class), "org.apache.spark.deploy.master.Master", "--host", LOOPBACK,
                "--port", str(port), "--webui-port", str(webui)], env, root / "master.log", cluster.processes)
        for i, work_dir in enumerate(cluster.worker_dirs()):
            work_dir.mkdir()
            worker_env = {**env, "SPARK_WORKER_DIR": str(work_dir)}
            _start([str(spark_class), "org.apache.spark.deploy.worker.Worker", cluster.master_url,
                    "--host", LOOPBACK, "--cores", str(WORKER_CORES), "--memory", WORKER_MEMORY,
                    "--webui-port", str(free_port())], worker_env, root / f"worker-{i}.log", cluster.processes)
        _wait_for_workers(cluster)
        yield cluster
    finally:
        # Workers first (they own the executors), then the master.
        for proc in reversed(cluster.processes):
            stop_group(proc)


@pytest.fixture(scope="module")
def shipped_package(tmp_path_factory) -> Path:
    from etl.packaging import build_pyfiles_zip

    return build_pyfiles_zip(tmp_path_factory.mktemp("dist") / "etl.zip")


VIEWFS_CLUSTER = "cc"


def _submit_refresh(cluster: Cluster, package: Path, lake: Path, log: Path) -> tuple[int, str, float]:
    from etl.packaging import archive_submit_args
    from etl.spark import DELTA_CATALOG, DELTA_EXTENSION, delta_jars

    cmd = [
        str(spark_home() / "bin" / "spark-submit"),
        "--master", cluster.master_url,
        "--deploy-mode", "client",
        "--driver-memory", DRIVER_MEMORY,
        "--jars", ",".join(delta_jars()),
        "--conf", f"spark.sql.extensions={DELTA_EXTENSION}",
        "--conf", f"spark.sql.catalog.spark_catalog={DELTA_CATALOG}",
        "--conf", f"spark.executor.memory={EXECUTOR_MEMORY}",
        "--conf", f"spark.pyspark.python={PYTHON}",
        "--conf", "spark.ui.enabled=false",
        # The input through a non-local Hadoop filesystem URI (viewfs, mounted over the sample), as users give hdfs://
        # or abfss:// globs: Spark lists and reads it on the workers.
        "--conf", f"spark.hadoop.fs.viewfs.mounttable.{VIEWFS_CLUSTER}.link./crawl={SAMPLE.as_uri()}",
        *archive_submit_args(package, ARCHIVE_ALIAS),
        str(REFRESH_JOB), "--input", f"viewfs://{VIEWFS_CLUSTER}/crawl/*.wet.gz", "--lake", str(lake),
    ]
    return _run_in_group(cmd, cluster.env, log, SUBMIT_TIMEOUT_S)


def _lake_stats(lake: Path, scratch: Path, env: dict) -> dict:
    script = scratch / "lake_stats.py"
    script.write_text(LAKE_STATS_SCRIPT)
    log = scratch / f"stats-{lake.name}-{time.monotonic_ns()}.log"
    code, out, _ = _run_in_group([PYTHON, str(script), str(lake), str(ROOT)], env, log, LOCAL_RUN_TIMEOUT_S)
    assert code == 0, out[-LOG_TAIL_CHARS:]
    line = next(line for line in out.splitlines() if line.startswith("LAKE_STATS "))
    return json.loads(line.removeprefix("LAKE_STATS "))


@dataclass
class FirstRun:
    code: int
    output: str
    seconds: float
    lake: Path
    scratch: Path


@pytest.fixture(scope="module")
def first_refresh(cluster, shipped_package, tmp_path_factory) -> FirstRun:
    scratch = tmp_path_factory.mktemp("runs")
    lake = scratch / "cluster_lake"
    code, out, seconds = _submit_refresh(cluster, shipped_package, lake, scratch / "refresh-1.log")
    print(f"first refresh on the cluster: exit {code} in {seconds:.0f}s")
    return FirstRun(code, out, seconds, lake, scratch)


def test_refresh_runs_on_the_cluster_and_matches_a_local_run(cluster, first_refresh):
    assert first_refresh.code == 0, f"{first_refresh.output[-LOG_TAIL_CHARS:]}\n{cluster.logs()}"

    # The job really ran on the workers (not in a local[*] master picked by the driver behind spark-submit's back).
    apps = cluster.state().get("completedapps", []) + cluster.state().get("activeapps", [])
    assert apps, "the master saw no application: the driver ignored --master (does get_spark override it?)"
    executor_dirs = [d for w in cluster.worker_dirs() for d in w.glob("app-*/*") if d.is_dir()]
    assert len(executor_dirs) >= WORKERS, f"expected an executor on each worker, found {executor_dirs}"
    # Each executor unpacked the shipped package, data files included.
    for executor_dir in executor_dirs:
        assert (executor_dir / ARCHIVE_ALIAS / "etl" / "resources" / "toxicity" / "en.tsv").is_file()

    cluster_stats = _lake_stats(first_refresh.lake, first_refresh.scratch, cluster.env)
    missing = [name for name, stats in cluster_stats.items() if stats is None]
    assert not missing, f"tables not created: {missing}"
    assert cluster_stats["bronze/documents"]["rows"] > 0
    assert cluster_stats["bronze/quarantine"]["rows"] >= 1  # the truncated 2016 download ends mid-record
    assert cluster_stats["bronze/ingest_log"]["rows"] == len(list(SAMPLE.glob("*.wet.gz")))
    assert cluster_stats["silver/documents"]["rows"] == cluster_stats["bronze/documents"]["rows"]
    assert 0 < cluster_stats["gold/documents"]["rows"] < cluster_stats["silver/documents"]["rows"]  # planted dups

    # Oracle: the same refresh in one local process gives the same rows (versions may differ: batching may not).
    local_lake = first_refresh.scratch / "local_lake"
    code, out, _ = _run_in_group([PYTHON, str(REFRESH_JOB), "--master", "local[2]", "--input", str(SAMPLE),
                                  "--lake", str(local_lake)], cluster.env, first_refresh.scratch / "local.log",
                                 LOCAL_RUN_TIMEOUT_S)
    assert code == 0, out[-LOG_TAIL_CHARS:]
    local_stats = _lake_stats(local_lake, first_refresh.scratch, cluster.env)
    for name in cluster_stats:
        assert {k: v for k, v in cluster_stats[name].items() if k != "version"} == \
               {k: v for k, v in local_stats[name].items() if k != "version"}, name


def test_second_refresh_changes_nothing(cluster, shipped_package, first_refresh):
    assert first_refresh.code == 0, "first refresh failed; see the other test"
    before = _lake_stats(first_refresh.lake, first_refresh.scratch, cluster.env)
    code, out, seconds = _submit_refresh(cluster, shipped_package, first_refresh.lake,
                                         first_refresh.scratch / "refresh-2.log")
    print(f"no-op refresh on the cluster: exit {code} in {seconds:.0f}s")
    assert code == 0, f"{out[-LOG_TAIL_CHARS:]}\n{cluster.logs()}"
    after = _lake_stats(first_refresh.lake, first_refresh.scratch, cluster.env)
    assert after == before  # same versions, row counts and doc_ids for every table
