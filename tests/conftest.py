"""One session-scoped SparkSession with real Delta Lake for the whole suite (local[2], UI off, few partitions)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
SHARED_DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    from etl.config import SparkConfig
    from etl.spark import get_spark

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    warehouse = tmp_path_factory.mktemp("warehouse")
    cfg = SparkConfig(
        master="local[2]",
        app_name="cc-wet-etl-tests",
        shuffle_partitions=2,
        driver_memory="2g",
        ui_enabled=False,  # no web server or port per test run
        extra_conf={
            "spark.sql.warehouse.dir": str(warehouse),
            "spark.default.parallelism": "2",
            "spark.sql.adaptive.enabled": "false",  # stable partition counts for determinism tests
            "spark.databricks.delta.snapshotPartitions": "2",
            "spark.sql.sources.parallelPartitionDiscovery.parallelism": "2",
        },
    )
    session = get_spark(cfg)
    yield session
    session.stop()


@pytest.fixture()
def lake(tmp_path) -> str:
    return str(tmp_path / "lake")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not next to this checkout")
    return SHARED_DATA
