"""Housekeeping (OPTIMIZE + VACUUM of every lake table) on the refresh benchmark's 100x lake: 200,000 documents of
history built by ``bench/bench_refresh.py`` (cached; built first when missing), copied so the cache stays as built.

``seconds`` is ``etl.housekeeping.run_housekeeping`` with the package defaults (tables side by side, default
retention, no Z-order) after Spark has started; the per-table seconds come from its summary. Target (issue 24): under
2 minutes on 2 cores. Run: ``python -m bench.run --only housekeeping``.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

HISTORY_COPIES = 100
TARGET_SECONDS = 120.0


def run() -> dict:
    from bench.bench_refresh import build_history
    from etl import tables
    from etl.housekeeping import run_housekeeping
    from etl.config import SparkConfig
    from etl.spark import get_spark
    from etl.table_specs import BRONZE_DOCUMENTS

    history = build_history(HISTORY_COPIES)
    work = Path(tempfile.mkdtemp(prefix="bench-housekeeping-"))
    try:
        lake = work / "lake"
        shutil.copytree(history, lake)
        spark = get_spark(SparkConfig(master="local[2]", app_name="bench-housekeeping", shuffle_partitions=4,
                                      ui_enabled=False))
        documents = tables.read(spark, str(lake), BRONZE_DOCUMENTS).count()
        lines: list[str] = []
        t0 = time.perf_counter()
        summary = run_housekeeping(spark, str(lake), progress=lines.append)
        seconds = time.perf_counter() - t0
        spark.stop()
        return {
            "what": f"OPTIMIZE + VACUUM of every table of the refresh benchmark's {HISTORY_COPIES}x lake (a copy), "
                    "package defaults, after Spark started",
            "documents": documents,
            "seconds": round(seconds, 1),
            "target_seconds": TARGET_SECONDS,
            "per_table_seconds": {r.name: round(r.seconds, 1) for r in summary.results},
            "files_before_after": {r.name: [r.files_before, r.files_after] for r in summary.results},
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
