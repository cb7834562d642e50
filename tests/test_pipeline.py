"""Refresh end to end on real near-duplicates: incremental == full run, a no-op changes nothing, a kill recovers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest

import etl
from etl import catalog, tables
from etl.cli import main as cli_main
from etl.config import load_config
from etl.table_specs import GOLD_DOCUMENTS, GOLD_DUPLICATES, GOLD_REJECTIONS
from etl.io.warc import Record, WarcReader
from etl.io.warc_writer import write_wet
from etl.pipeline import refresh, table_versions
from tests.helpers.delta_readers import delta_rs_rows
from tests.helpers.lakes import copy_lake

ROOT = Path(__file__).resolve().parents[1]
DUPS = ROOT / "data" / "sample" / "GENERATED-duplicates-clough-stevenson-and-mirrors.warc.wet.gz"
WHIRLWIND = ROOT / "data" / "sample" / "CC-MAIN-2024-22-whirlwind.warc.wet.gz"
# Commits of one refresh of the two split inputs: bronze 3 per batch (intent, documents, log; these clean files
# have no quarantine rows, and an empty quarantine append is skipped),
# silver 3 (intent, append, done), gold 4 to index the benchmarks on a new lake (etl.gold.decontamination.sync_index)
# then 12 (intent, rejections, index, edges, 2 each for clusters, duplicates and rejections, documents, done; see
# etl/gold/build.py; no page here quotes a benchmark, so gold/contamination gets no append).
BENCHMARK_INDEX_COMMITS = 4
BRONZE_COMMITS, SILVER_COMMITS, GOLD_COMMITS = 2 * 3, 3, BENCHMARK_INDEX_COMMITS + 12
COMMITS_PER_REFRESH = BRONZE_COMMITS + SILVER_COMMITS + GOLD_COMMITS
GOLD_DUPLICATES_WRITTEN = BRONZE_COMMITS + SILVER_COMMITS + BENCHMARK_INDEX_COMMITS + 8


def quiet(_msg):
    pass


@pytest.fixture(scope="module")
def split_inputs(tmp_path_factory) -> tuple[Path, Path]:
    """The real near-duplicate file split in two: old crawl (even records) and new crawl (odd records)."""
    out = tmp_path_factory.mktemp("inputs")
    with open(DUPS, "rb") as fh:
        records = [r for r in WarcReader(fh) if isinstance(r, Record) and r.type == "conversion"]
    files = []
    for part in (0, 1):
        path = out / f"part{part}.warc.wet.gz"
        recs = [({k: v for k, v in r.headers.items() if k != "content-length"}, r.payload) for r in records[part::2]]
        if part == 1:  # the new crawl re-publishes old pages verbatim under other URLs: exact duplicates
            for k, old in enumerate(records[0:40:4]):
                copy = {"warc-type": "conversion", "warc-target-uri": f"https://mirror.example/again/{k}",
                        "warc-record-id": f"<urn:uuid:mirror-{k}>", "warc-date": "2021-10-01T00:00:00Z",
                        "warc-identified-content-language": "eng"}
                recs.append((copy, old.payload))
        with open(path, "wb") as fh:
            write_wet(fh, recs)
        files.append(path)
    return files[0], files[1]


def cfg_for(lake: str):
    return load_config(overrides={"lake": lake, "ingest.files_per_batch": 1})


def snapshot(spark, lake: str) -> dict:
    """Gold as sets of rows, ignoring run ids and timestamps."""
    def rows(name, cols):
        return sorted(tuple(r) for r in tables.read(spark, lake, name).select(*cols).collect())

    return {
        "documents": rows(GOLD_DOCUMENTS, ["doc_id", "language", "text"]),
        "duplicates": rows(GOLD_DUPLICATES, ["doc_id", "cluster_id", "survivor_id", "stage"]),
        "rejections": rows(GOLD_REJECTIONS, ["doc_id", "stage", "reason"]),
    }


@pytest.fixture(scope="module")
def full_lake(spark, split_inputs, tmp_path_factory) -> str:
    """One refresh of both halves at once: read it, or copy it (tests.helpers.lakes.copy_lake) to change it."""
    lake = str(tmp_path_factory.mktemp("full") / "lake")
    refresh(spark, cfg_for(lake), [str(p) for p in split_inputs], progress=quiet)
    return lake


@pytest.fixture(scope="module")
def full_run(spark, full_lake) -> dict:
    return snapshot(spark, full_lake)


def test_two_refreshes_equal_one_full_run_and_noop_changes_nothing(spark, split_inputs, full_run, tmp_path):
    """Also: a column a user added by hand between the two refreshes is kept (null for new rows), never dropped."""
    lake = str(tmp_path / "lake")
    first = refresh(spark, cfg_for(lake), [str(split_inputs[0])], progress=quiet)
    gold_docs = tables.table_path(lake, GOLD_DOCUMENTS)
    spark.sql(f"ALTER TABLE delta.`{gold_docs}` ADD COLUMNS (reviewer_note string)")
    spark.sql(f"UPDATE delta.`{gold_docs}` SET reviewer_note = 'checked'")
    said = []
    second = refresh(spark, cfg_for(lake), [str(p) for p in split_inputs], progress=said.append)
    assert first.bronze.files_processed == 1 and second.bronze.files_processed == 1
    assert snapshot(spark, lake) == full_run
    notes = {r.reviewer_note for r in tables.read(spark, lake, GOLD_DOCUMENTS).select("reviewer_note").collect()}
    assert notes == {"checked", None} and any("reviewer_note" in line for line in said)
    assert full_run["duplicates"], "the real near-duplicate set must produce duplicates"
    assert {"exact_dedup", "near_dedup"} <= {row[3] for row in full_run["duplicates"]}
    before = table_versions(spark, lake)
    again = refresh(spark, cfg_for(lake), [str(p) for p in split_inputs], progress=quiet)
    assert again.bronze.files_processed == 0 and again.silver.documents_in == 0 and again.gold.documents_in == 0
    assert table_versions(spark, lake) == before
    # Readable by delta-rs (deltalake, Polars), keyed deletes and a user's UPDATE included: no deletion vectors.
    read = delta_rs_rows(lake)
    assert GOLD_DOCUMENTS in read and read == {name: tables.read(spark, lake, name).count() for name in read}


def test_survivor_rule_is_the_stated_one(spark, full_lake):
    """Survivors: most words, then earliest date, then smallest doc_id (checked against silver)."""
    lake = full_lake
    silver = tables.read(spark, lake, "silver/documents").select("doc_id", "gopher_n_words", "warc_date")
    attrs = {r.doc_id: (-r.gopher_n_words, r.warc_date, r.doc_id) for r in silver.collect()}
    dups = tables.read(spark, lake, GOLD_DUPLICATES).collect()
    for row in dups:
        assert attrs[row.survivor_id] < attrs[row.doc_id]
        assert row.cluster_id <= row.doc_id and 0.0 <= row.similarity <= 1.0
    kept = {r.doc_id for r in tables.read(spark, lake, GOLD_DOCUMENTS).select("doc_id").collect()}
    assert {r.survivor_id for r in dups} <= kept and not ({r.doc_id for r in dups} & kept)


def test_rebuild_on_a_file_uri_lake_starts_gold_over(spark, full_lake, full_run, tmp_path):
    """`--rebuild` drops gold through Hadoop's FileSystem (so it works on any URI scheme) and redoes it from silver."""
    from etl.gold.build import run_gold

    # A copy of the full run's lake, named by a file:///... URI: not a plain local path.
    lake = Path(copy_lake(full_lake, tmp_path / "lake")).as_uri()
    cfg = cfg_for(lake)
    assert snapshot(spark, lake) == full_run  # the copy reads as the original
    silver_version = tables.version(spark, lake, "silver/documents")
    summary = run_gold(spark, cfg, "rebuild-run", progress=quiet, rebuild=True)
    assert summary.documents_in == tables.read(spark, lake, "silver/documents").count()  # all of silver again
    assert tables.version(spark, lake, GOLD_DOCUMENTS) <= 2  # a new table, not the old one's history
    assert tables.version(spark, lake, "silver/documents") == silver_version
    assert snapshot(spark, lake) == full_run


def run_killed(lake: str, inputs: list[Path], after_commits: int) -> subprocess.CompletedProcess:
    env = dict(os.environ, ETL_KILL_AFTER_COMMITS=str(after_commits), PYTHONPATH=str(ROOT))
    cmd = [sys.executable, str(ROOT / "jobs" / "refresh.py"), "--input", *map(str, inputs), "--lake", lake,
           "--master", "local[1]", "--set", "ingest.files_per_batch=1"]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)


@pytest.mark.slow  # one of the kill points test_refresh_killed_after_any_commit_recovers covers; its own JVM
def test_refresh_killed_in_gold_then_rerun_matches_full_run(spark, split_inputs, full_run, tmp_path):
    lake = str(tmp_path / "lake")
    # Kill after gold/duplicates is written, before gold/rejections and gold/documents catch up.
    proc = run_killed(lake, list(split_inputs), after_commits=GOLD_DUPLICATES_WRITTEN)
    assert proc.returncode == -9, proc.stderr[-2000:]
    assert tables.exists(spark, lake, GOLD_DUPLICATES)
    refresh(spark, cfg_for(lake), [str(p) for p in split_inputs], progress=quiet)
    assert snapshot(spark, lake) == full_run


@pytest.mark.slow
@pytest.mark.parametrize("after_commits", range(1, COMMITS_PER_REFRESH))
def test_refresh_killed_after_any_commit_recovers(spark, split_inputs, full_run, tmp_path, after_commits):
    lake = str(tmp_path / "lake")
    proc = run_killed(lake, list(split_inputs), after_commits)
    assert proc.returncode == -9, proc.stderr[-2000:]
    refresh(spark, cfg_for(lake), [str(p) for p in split_inputs], progress=quiet)
    assert snapshot(spark, lake) == full_run


@pytest.mark.slow
@pytest.mark.parametrize("existing", [False, True], ids=["fresh_lake", "existing_lake"])
def test_two_refresh_processes_at_once(spark, split_inputs, full_run, tmp_path, existing):
    """Two jobs started together on an empty lake, or on one holding the old crawl: both succeed and the lake
    equals one run (exactly once)."""
    lake = str(tmp_path / "lake")
    if existing:
        refresh(spark, cfg_for(lake), [str(split_inputs[0])], progress=quiet)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, str(ROOT / "jobs" / "refresh.py"), "--input", *map(str, split_inputs), "--lake", lake,
           "--master", "local[1]", "--set", "ingest.files_per_batch=1"]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outputs = [p.communicate(timeout=900) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-2000:] for _out, err in outputs]
    assert snapshot(spark, lake) == full_run
    silver = tables.read(spark, lake, "silver/documents")
    assert silver.count() == silver.select("doc_id").distinct().count()


@pytest.mark.slow
def test_refresh_while_housekeeping_runs(spark, split_inputs, full_run, tmp_path):
    """OPTIMIZE (Z-order) and VACUUM in another process while a refresh writes: both succeed, gold is exact."""
    lake = str(tmp_path / "lake")
    refresh(spark, cfg_for(lake), [str(split_inputs[0])], progress=quiet)
    housekeeping = subprocess.Popen(
        [sys.executable, str(ROOT / "jobs" / "housekeeping.py"), "--lake", lake, "--zorder", "--master", "local[1]"],
        env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    refresh(spark, cfg_for(lake), [str(p) for p in split_inputs], progress=quiet)
    _out, err = housekeeping.communicate(timeout=900)
    assert housekeeping.returncode == 0, err[-2000:]
    assert snapshot(spark, lake) == full_run


def test_bad_config_exits_2_with_one_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[gold]\nfamilies = ['gopher_quality', 'nonsense']\n")
    proc = subprocess.run([sys.executable, str(ROOT / "jobs" / "refresh.py"), "--input", str(WHIRLWIND),
                           "--config", str(bad)], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "refresh: error: unknown rule family 'nonsense' in gold.families "
        f"(known: {', '.join(sorted(catalog.FAMILY_ORDER))})"]


@pytest.mark.parametrize("job", ["ingest_wet", "build_silver", "build_gold", "refresh", "train_quality", "export"])
def test_every_job_answers_help(job):
    proc = subprocess.run([sys.executable, str(ROOT / "jobs" / f"{job}.py"), "--help"], capture_output=True,
                          text=True, timeout=120, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode == 0 and "examples:" in proc.stdout and "--lake" in proc.stdout


@pytest.mark.parametrize("case", ["missing_input", "empty_directory", "unwritable_lake"])
def test_bad_inputs_and_lakes_exit_2_before_spark_starts(tmp_path, case):
    """One line naming the path, no Spark session, nothing written: seconds, not minutes."""
    lake, inputs = tmp_path / "lake", [str(WHIRLWIND)]
    if case == "missing_input":
        inputs.append(str(tmp_path / "typo.wet.gz"))
    elif case == "empty_directory":
        (tmp_path / "empty").mkdir()
        inputs = [str(tmp_path / "empty")]
    else:
        (tmp_path / "a-file").write_text("not a directory")  # unwritable even for root
        lake = tmp_path / "a-file" / "lake"
    proc = subprocess.run([sys.executable, str(ROOT / "jobs" / "refresh.py"), "--input", *inputs, "--lake", str(lake)],
                          capture_output=True, text=True, timeout=120, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    named = {"missing_input": "typo.wet.gz", "empty_directory": str(tmp_path / "empty"), "unwritable_lake": str(lake)}
    assert proc.returncode == 2 and named[case] in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert "SparkSession" not in proc.stderr + proc.stdout and not (tmp_path / "lake").exists()


def test_print_config_version_and_unknown_job(tmp_path, capsys):
    """The effective config, before Spark and before any input or lake is touched; --version; a typo'd job name."""
    run = partial(subprocess.run, capture_output=True, text=True, timeout=120, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    lake = tmp_path / "lake"
    proc = run([sys.executable, str(ROOT / "jobs" / "refresh.py"), "--input", str(tmp_path / "not-yet"), "--lake",
                str(lake), "--set", "gold.dedup.threshold=0.7", "--preset", "arabic", "--print-config"])
    assert proc.returncode == 0, proc.stderr
    cfg = json.loads(proc.stdout)
    assert cfg["lake"] == str(lake) and cfg["gold"]["dedup"]["threshold"] == 0.7 and cfg["silver"]["languages"] == ["ar"]
    assert not lake.exists()
    version = run([sys.executable, str(ROOT / "jobs" / "build_gold.py"), "--version"])
    assert version.returncode == 0 and version.stdout.strip() == f"build_gold {etl.__version__}"
    assert cli_main(["refesh"]) == 2 and "unknown job 'refesh'" in capsys.readouterr().err
    assert cli_main(["--version"]) == 0 and capsys.readouterr().out.strip() == f"cc-etl {etl.__version__}"
