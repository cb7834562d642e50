"""Processes the integration tests start themselves on loopback: pyspark's Spark Connect server (with Delta) and
short-lived Python runs of the pipeline; each in its own process group, so stopping one also stops the JVM's
Python workers, and a failing test never leaves a server behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[2]
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON if VENV_PYTHON.exists() else Path(sys.executable))
PIPELINE_RUN = ROOT / "tests" / "helpers" / "pipeline_run.py"
LOOPBACK = "127.0.0.1"
CONNECT_SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"
SERVER_STARTUP_TIMEOUT_S = 180
POLL_INTERVAL_S = 0.5
STOP_GRACE_S = 15
LOG_TAIL_CHARS = 4000
SERVER_DRIVER_MEMORY = "1g"
SERVER_MASTER = "local[2]"


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def tail(path: Path) -> str:
    return path.read_text(errors="replace")[-LOG_TAIL_CHARS:] if path.exists() else "(no log)"


def stop_group(proc: subprocess.Popen) -> None:
    """SIGTERM the process group (the JVM and the Python workers it forked), then SIGKILL."""
    if proc.poll() is not None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=STOP_GRACE_S)
            return
        except subprocess.TimeoutExpired:
            continue


def base_env(scratch: Path) -> dict:
    """The caller's environment with Spark pointed at this venv's interpreter and scratch dirs under ``scratch``."""
    env = dict(os.environ)
    env.update({"SPARK_HOME": str(spark_home()), "SPARK_LOCAL_IP": LOOPBACK, "PYSPARK_PYTHON": PYTHON,
                "PYSPARK_DRIVER_PYTHON": PYTHON, "SPARK_LOCAL_DIRS": str(scratch / "local"),
                "PYTHONPATH": str(ROOT)})
    env.pop("SPARK_REMOTE", None)
    (scratch / "local").mkdir(parents=True, exist_ok=True)
    return env


def run_python(args: list[str], env: dict, log: Path, timeout_s: float) -> tuple[int, str, float]:
    """Run the venv's Python with ``args`` in its own process group; (exit code, output, seconds)."""
    started = time.monotonic()
    with log.open("w") as out:
        proc = subprocess.Popen([PYTHON, *args], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            code = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            code = -1
        finally:
            stop_group(proc)
    return code, log.read_text(errors="replace"), time.monotonic() - started


def _wait_for_port(proc: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + SERVER_STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the Spark Connect server exited with code {proc.returncode}\n{tail(log)}")
        with socket.socket() as sock:
            if sock.connect_ex((LOOPBACK, port)) == 0:
                return
        time.sleep(POLL_INTERVAL_S)
    raise RuntimeError(f"the Spark Connect server did not listen within {SERVER_STARTUP_TIMEOUT_S}s\n{tail(log)}")


@contextmanager
def connect_server(jars: list[str], env: dict, log: Path, conf: dict[str, str] | None = None) -> Iterator[str]:
    """pyspark's Spark Connect server on a free loopback port with ``jars`` and Delta configured; yields its
    ``sc://`` URL and stops it (and its workers) on exit, also when the test fails."""
    from etl.spark import DELTA_CATALOG, DELTA_EXTENSION

    port = free_port()
    settings = {
        "spark.connect.grpc.binding.address": LOOPBACK,
        "spark.connect.grpc.binding.port": str(port),
        "spark.sql.extensions": DELTA_EXTENSION,
        "spark.sql.catalog.spark_catalog": DELTA_CATALOG,
        "spark.sql.session.timeZone": "UTC",
        "spark.ui.enabled": "false",
        "spark.sql.shuffle.partitions": "2",
        "spark.databricks.delta.snapshotPartitions": "2",
        "spark.pyspark.python": PYTHON,
        **(conf or {}),
    }
    cmd = [str(spark_home() / "bin" / "spark-submit"), "--master", SERVER_MASTER,
           "--driver-memory", SERVER_DRIVER_MEMORY, "--class", CONNECT_SERVER_CLASS, "--jars", ",".join(jars)]
    for key, value in settings.items():
        cmd += ["--conf", f"{key}={value}"]
    cmd.append("spark-internal")  # the server's main class is in Spark's own jars: no application jar
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=log.parent, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        _wait_for_port(proc, port, log)
        yield f"sc://{LOOPBACK}:{port}"
    finally:
        stop_group(proc)
