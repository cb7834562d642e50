"""Peak resident memory of the Spark driver JVM and its Python workers, sampled from /proc while work runs."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path


def _rss_kb(pid: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cmdline(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


class PeakMemory:
    """Context manager: tracks max RSS of the JVM (driver; executors live in it in local mode) and of Python workers."""

    def __init__(self, interval_s: float = 0.2):
        self.interval_s = interval_s
        self.driver_mb = 0.0
        self.python_worker_mb = 0.0  # largest single worker
        self.python_workers_total_mb = 0.0  # all workers at once
        self._stop = threading.Event()

    def _sample(self) -> None:
        while not self._stop.is_set():
            jvm, workers = 0, []
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                cmd = _cmdline(pid)
                if "org.apache.spark.deploy.SparkSubmit" in cmd:
                    jvm = max(jvm, _rss_kb(pid))
                elif "pyspark.daemon" in cmd or "pyspark/worker" in cmd or "pyspark.worker" in cmd:
                    workers.append(_rss_kb(pid))
            self.driver_mb = max(self.driver_mb, jvm / 1024)
            if workers:
                self.python_worker_mb = max(self.python_worker_mb, max(workers) / 1024)
                self.python_workers_total_mb = max(self.python_workers_total_mb, sum(workers) / 1024)
            time.sleep(self.interval_s)

    def __enter__(self) -> "PeakMemory":
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def as_dict(self) -> dict:
        return {"driver_peak_mb": round(self.driver_mb, 1), "python_worker_peak_mb": round(self.python_worker_mb, 1),
                "python_workers_total_peak_mb": round(self.python_workers_total_mb, 1)}
