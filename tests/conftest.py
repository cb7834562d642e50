"""One session-scoped SparkSession with real Delta Lake for the whole suite (local[2], UI off, few partitions),
and one session-scoped lake built from the bundled sample for the tests that only need a built lake."""

from __future__ import annotations

import dataclasses
import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
SHARED_DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))

from tests.helpers.lakes import SAMPLE, SAMPLE_SCHEMA, BuiltLake, copy_lake  # noqa: E402


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
        driver_memory="3g",  # one JVM runs the whole suite, the shared sample lake and the bundled models
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


@pytest.fixture(scope="session")
def sample_lake(spark, tmp_path_factory) -> BuiltLake:
    """data/sample refreshed once into a session directory (tests/helpers/lakes.py says what it holds). Read it,
    never write to it: a test that changes a lake takes `sample_lake_copy` (or copy_lake) instead."""
    from etl.config import load_config
    from etl.pipeline import refresh

    lake = tmp_path_factory.mktemp("sample") / "lake"
    cfg = load_config(overrides={"lake": str(lake), "schema": SAMPLE_SCHEMA, "spark.ui_enabled": False})
    lines: list[str] = []
    summary = refresh(spark, cfg, [str(SAMPLE)], progress=lines.append)
    return BuiltLake(cfg, summary, tuple(lines))


@pytest.fixture()
def sample_lake_copy(sample_lake, tmp_path) -> BuiltLake:
    """A copy of the session's sample lake that this test may change: same config but for the lake path, and no
    schema (a refresh of the copy must not re-point the session's registrations at it)."""
    lake = copy_lake(sample_lake.lake, tmp_path / "lake")
    return dataclasses.replace(sample_lake, cfg=dataclasses.replace(sample_lake.cfg, lake=lake, schema=None))


# `make test` runs two pytest-xdist workers, each with its own SparkSession. Tests go out a file at a time, so a
# module's fixtures are built once, and every file that uses the session's sample lake goes to the same worker, so
# the lake is built once per run. (xdist's own --dist loadgroup does not group under pytest 9: its node-id suffix is
# ignored, so the grouping is done here, by file.)
SHARED_LAKE_FIXTURE = "sample_lake"
SHARED_LAKE_SCOPE = "sample_lake"
# A test or fixture that takes the shared lake as a parameter (a mention in a comment does not count).
USES_SHARED_LAKE = re.compile(rf"def \w+\([^)]*\b{SHARED_LAKE_FIXTURE}(_copy)?\b")
# Handed out first, longest first (the shared lake's files, then these, from `make test --durations` on 2 cores:
# 60-330 s each), so no long file starts last while the other worker idles; the rest follow in xdist's order. Only
# the order depends on this list: a stale entry costs balance, never a test.
SLOW_SCOPES_FIRST = (
    SHARED_LAKE_SCOPE, "tests/test_pipeline.py", "tests/bronze/test_ingest.py", "tests/gold/test_incremental_dedup.py",
    "tests/silver/test_quality_model.py", "tests/test_housekeeping.py", "tests/gold/test_lsh.py",
    "tests/bronze/test_formats_pipeline.py", "tests/silver/test_urls.py", "tests/test_lagging_stage.py",
    "tests/silver/test_toxicity_model.py",
)


def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SharedLakeScheduling(LoadScopeScheduling):
        """Like --dist loadfile, with the files that use the shared sample lake as one unit."""

        _uses_lake: dict[str, bool] = {}

        def _split_scope(self, nodeid: str) -> str:
            file = nodeid.split("::")[0]
            if file not in self._uses_lake:
                path = ROOT / file
                self._uses_lake[file] = path.is_file() and bool(USES_SHARED_LAKE.search(path.read_text("utf-8")))
            return SHARED_LAKE_SCOPE if self._uses_lake[file] else file

        def schedule(self) -> None:
            if self.collection is None:  # the first call: put the slow scopes' tests at the head of the collection
                rank = {scope: i for i, scope in enumerate(SLOW_SCOPES_FIRST)}
                for node, collection in self.registered_collections.items():
                    self.registered_collections[node] = sorted(
                        collection, key=lambda nodeid: rank.get(self._split_scope(nodeid), len(rank)))
                self.config.option.loadscopereorder = False  # keep that order (xdist sorts by test count)
            super().schedule()

    return SharedLakeScheduling(config, log)
