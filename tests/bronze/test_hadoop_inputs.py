"""Inputs on a Hadoop filesystem that is not the local one: listed and read by Spark, same rows as the Python reader.

Hadoop's ``viewfs://`` scheme with a mount table pointing at a temporary folder is a real non-local filesystem URI
(the kind hdfs://, abfss:// and dbfs:/ are) that needs no server: globs, directories and missing paths all go through
Hadoop's FileSystem, exactly as on a cluster.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from etl import tables
from etl.bronze.ingest import run_ingest
from etl.config import load_config
from etl.io import hadoop_fs
from etl.preflight import PreflightError
from etl.table_specs import BRONZE_DOCUMENTS, BRONZE_INGEST_LOG, BRONZE_QUARANTINE

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
# A clean real file and a damaged one (cut off mid-download), so documents and quarantine rows are both compared.
FILES = ("CC-MAIN-2021-39-oscar63.warc.wet.gz", "CC-MAIN-2016-50-truncated-download.wet.gz")
MOUNT = "viewfs://etltest/crawl"


def quiet(_line: str) -> None:
    pass


@pytest.fixture(scope="module")
def crawl(spark, tmp_path_factory) -> Path:
    """A folder of real WET files, mounted at MOUNT (viewfs) on the session's Hadoop configuration."""
    folder = tmp_path_factory.mktemp("crawl")
    (folder / "sub").mkdir()
    for name in FILES:
        shutil.copy(SAMPLE / name, folder / "sub" / name)
    (folder / "sub" / "notes.txt").write_text("not a WET file")
    spark.sparkContext._jsc.hadoopConfiguration().set(
        "fs.viewfs.mounttable.etltest.link./crawl", folder.as_uri())
    return folder


def rows(spark, lake: str) -> tuple[set, list, dict]:
    docs = {(r.doc_id, r.text) for r in tables.read(spark, lake, BRONZE_DOCUMENTS).collect()}
    reasons = sorted(r.reason for r in tables.read(spark, lake, BRONZE_QUARANTINE).collect())
    log = {r.source_file.rsplit("/", 1)[-1]: (r.status, r.source_size)
           for r in tables.read(spark, lake, BRONZE_INGEST_LOG).collect()}
    return docs, reasons, log


def test_listing_globs_directories_and_missing_paths(spark, crawl):
    by_glob = hadoop_fs.list_files(spark, f"{MOUNT}/sub/*.wet.gz")
    assert [p.rsplit("/", 1)[-1] for p in by_glob] == sorted(FILES)
    assert all(p.startswith(MOUNT) for p in by_glob)
    assert hadoop_fs.list_files(spark, MOUNT) == by_glob  # recursive, non-WET files left out
    assert hadoop_fs.list_files(spark, f"{MOUNT}/nope") is None
    files, unmatched, missing = hadoop_fs.expand(
        spark, [f"{MOUNT}/sub/{FILES[0]}", f"{MOUNT}/nope/*.wet.gz", "/local/x.wet"])
    assert missing == [f"{MOUNT}/nope/*.wet.gz"]
    assert files == sorted(["/local/x.wet", f"{MOUNT}/sub/{FILES[0]}", f"{MOUNT}/nope/*.wet.gz"])
    assert unmatched == [f"{MOUNT}/nope/*.wet.gz (no such file or directory)"]


def test_hadoop_inputs_load_the_same_rows_as_local_reads(spark, crawl, tmp_path):
    local_lake, hadoop_lake = str(tmp_path / "local"), str(tmp_path / "hadoop")
    run_ingest(spark, load_config(overrides={"lake": local_lake}), [str(crawl / "sub" / n) for n in FILES], quiet)
    missing = f"{MOUNT}/later.wet.gz"
    cfg = load_config(overrides={"lake": hadoop_lake, "ingest.allow_missing_inputs": True})
    summary = run_ingest(spark, cfg, [f"{MOUNT}/sub/*.wet.gz", missing], quiet)
    local_docs, local_reasons, local_log = rows(spark, local_lake)
    docs, reasons, log = rows(spark, hadoop_lake)
    assert docs == local_docs and len(docs) > 0
    assert reasons == sorted(local_reasons + ["unreachable"])  # the missing file is logged, not fatal
    assert {k: v for k, v in log.items() if k in FILES} == local_log
    assert log["later.wet.gz"][0] == "unreachable"
    assert summary.files_given == len(FILES) + 1
    # Again: the truncated file's size is known from the Hadoop listing, so it is not read blind a second time.
    log_rows = tables.read(spark, hadoop_lake, BRONZE_INGEST_LOG).count()
    again = run_ingest(spark, cfg, [f"{MOUNT}/sub/*.wet.gz"], quiet)
    assert again.files_reread == 0 and again.documents_loaded == 0
    assert tables.read(spark, hadoop_lake, BRONZE_INGEST_LOG).count() == log_rows


def test_read_with_spark_on_local_paths_matches_python(spark, crawl, tmp_path):
    """ingest.read_with_spark sends local files through binaryFile too (what a cluster without shared disks needs)."""
    python_lake, spark_lake = str(tmp_path / "python"), str(tmp_path / "spark")
    inputs = [(crawl / "sub" / n).as_uri() for n in FILES]
    run_ingest(spark, load_config(overrides={"lake": python_lake}), inputs, quiet)
    run_ingest(spark, load_config(overrides={"lake": spark_lake, "ingest.read_with_spark": True}), inputs, quiet)
    assert rows(spark, spark_lake) == rows(spark, python_lake)


def test_a_hadoop_glob_matching_nothing_is_refused(spark, crawl, tmp_path):
    cfg = load_config(overrides={"lake": str(tmp_path / "lake")})
    with pytest.raises(PreflightError, match="nope"):
        run_ingest(spark, cfg, [f"{MOUNT}/nope/*.wet.gz"], quiet)


@pytest.mark.parametrize("path, always, expected", [
    ("hdfs:///crawl/a.wet.gz", False, True), ("dbfs:/crawl/a.wet.gz", False, True), ("/data/a.wet.gz", False, False),
    ("/data/a.wet.gz", True, True), ("s3a://bucket/a.wet.gz", False, False), ("s3a://bucket/a.wet.gz", True, True),
    ("https://data.commoncrawl.org/a.wet.gz", True, False), ("s3://commoncrawl/a.wet.gz", True, False),
])
def test_who_reads_what(path, always, expected):
    assert hadoop_fs.read_by_spark(path, always) is expected
