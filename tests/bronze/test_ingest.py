"""Bronze ingest on real Spark and Delta: oracle equality, quarantine, exactly-once, crash and concurrency."""

from __future__ import annotations

import os
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from delta.tables import DeltaTable
from fastwarc.warc import ArchiveIterator, WarcRecordType
from pyspark.sql import functions as F

from etl import tables
from etl.bronze.ingest import run_ingest
from etl.config import load_config
from etl.io.warc_writer import block_digest, conversion_headers, write_wet
from etl.preflight import PreflightError
from tests.helpers.concurrency import run_at_once
from tests.helpers.flaky_http import cut_body_server, flaky_server
from etl.table_specs import BRONZE_DOCUMENTS, BRONZE_INGEST_LOG, BRONZE_QUARANTINE

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
SAMPLE = ROOT / "data" / "sample"
FRAGMENTS = DATA / "cc_wet_2016_fragments"


def cfg_for(lake, **sets):
    base = {"lake": lake, "ingest.http_backoff_base_s": 0.01, "ingest.http_backoff_max_s": 0.05}
    base.update(sets)
    return load_config(overrides=base)


def quiet(_msg):
    pass


def versions(spark, lake):
    return {n: tables.version(spark, lake, n) for n in
            (BRONZE_DOCUMENTS, BRONZE_QUARANTINE, BRONZE_INGEST_LOG)}


def make_wet(path: Path, ids: range, text="Some text about things.\n", raw_payloads=None):
    recs = []
    for i in ids:
        headers = conversion_headers(f"https://site{i % 3}.example/{i}", f"<urn:uuid:{i:08d}-0000-0000-0000-000000000000>",
                                     "2024-05-18T01:58:10Z", "eng,fra")
        payload = (raw_payloads or {}).get(i, f"{text}{i}\n".encode())
        recs.append((headers, payload))
    with open(path, "wb") as fh:
        write_wet(fh, recs)
    return path


def oracle_payloads(path: Path) -> dict[str, bytes]:
    out = {}
    try:
        for rec in ArchiveIterator(open(path, "rb"), record_types=WarcRecordType.conversion, parse_http=False):
            payload = rec.reader.read()
            if len(payload) == rec.content_length and b"\r\nWARC/1.0\r\n" not in payload \
                    and rec.headers.get("WARC-Target-URI"):
                out[rec.record_id] = payload
    except Exception:
        pass
    return out


def test_real_files_match_fastwarc_and_damage_is_quarantined(spark, lake):
    inputs = [str(SAMPLE), str(FRAGMENTS), str(DATA / "cc_2014"), str(DATA / "cc_whirlwind")]
    summary = run_ingest(spark, cfg_for(lake), inputs, progress=quiet)
    docs = tables.read(spark, lake, BRONZE_DOCUMENTS)
    got = {r.warc_record_id: r.text for r in docs.select("warc_record_id", "text").collect()}
    expected = {}
    for path in sorted(p for p in [*SAMPLE.iterdir(), *FRAGMENTS.iterdir(), *(DATA / "cc_2014").iterdir(),
                                   *(DATA / "cc_whirlwind").iterdir()] if ".wet" in p.name):
        for rid, payload in oracle_payloads(path).items():
            expected.setdefault(rid, payload)
    assert {rid: t.encode("utf-8") for rid, t in got.items() if rid in expected} == expected
    assert set(expected) <= set(got)
    assert docs.count() == docs.select("doc_id").distinct().count()
    reasons = {r.reason for r in tables.read(spark, lake, BRONZE_QUARANTINE).select("reason").collect()}
    assert {"truncated_record", "malformed_header", "no_record_header", "content_length_mismatch",
            "duplicate_record_id"} <= reasons
    assert summary.quarantined == tables.read(spark, lake, BRONZE_QUARANTINE).count()
    log = {r.source_file.split("/")[-1]: r.status for r in tables.read(spark, lake, BRONZE_INGEST_LOG).collect()}
    assert log["fragment3.wet.gz"] == "ok" and log["CC-MAIN-2016-50-truncated-download.wet.gz"] == "truncated"
    assert log["file_headers_only.wet.gz"] == "truncated"  # its only record is cut short
    # Rerun: nothing to do, no table changes.
    before = versions(spark, lake)
    again = run_ingest(spark, cfg_for(lake), inputs, progress=quiet)
    assert again.files_processed == 0 and versions(spark, lake) == before


def test_columns_from_headers(spark, lake, tmp_path):
    make_wet(tmp_path / "CC-MAIN-2024-22-a.wet.gz", range(3), raw_payloads={1: b"caf\xe9\n"})
    run_ingest(spark, cfg_for(lake), [str(tmp_path)], progress=quiet)
    rows = {r.url: r for r in tables.read(spark, lake, BRONZE_DOCUMENTS).collect()}
    r0 = rows["https://site0.example/0"]
    assert r0.url_host == "site0.example" and r0.crawl_id == "CC-MAIN-2024-22"
    assert r0.cc_languages == ["eng", "fra"] and r0.replaced_chars == 0 and r0.content_length == len(r0.text)
    assert r0.warc_date.year == 2024
    r1 = rows["https://site1.example/1"]
    assert r1.text == "caf\ufffd\n" and r1.replaced_chars == 1


def test_new_inputs_add_only_their_records_and_missing_files_retry(spark, lake, tmp_path):
    a = make_wet(tmp_path / "a.wet.gz", range(0, 5))
    empty = tmp_path / "empty.wet.gz"
    empty.write_bytes(b"")
    missing = str(tmp_path / "later.wet.gz")
    cfg = cfg_for(lake, **{"ingest.allow_missing_inputs": True})
    first = run_ingest(spark, cfg, [str(a), str(empty), missing], progress=quiet)
    assert first.documents_loaded == 5 and first.file_statuses == {"ok": 1, "empty": 1, "unreachable": 1}
    assert first.quarantine_reasons == {"empty_file": 1, "unreachable": 1}
    make_wet(Path(missing), range(5, 8))
    second = run_ingest(spark, cfg, [str(a), str(empty), missing], progress=quiet)
    assert second.files_processed == 1 and second.documents_loaded == 3
    assert tables.read(spark, lake, BRONZE_DOCUMENTS).count() == 8


def test_killed_run_then_rerun_loads_every_record_once(spark, lake, tmp_path):
    for k in range(3):
        make_wet(tmp_path / f"f{k}.wet.gz", range(k * 10, k * 10 + 10))
    env = dict(os.environ, ETL_KILL_AFTER_COMMITS="2", PYTHONPATH=str(ROOT))
    cmd = [sys.executable, str(ROOT / "jobs" / "ingest_wet.py"), "--input", str(tmp_path), "--lake", lake,
           "--master", "local[1]", "--set", "ingest.files_per_batch=1"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    # SIGKILLed after the intent and the documents of batch 1 (clean files: no quarantine append)
    assert proc.returncode == -9, proc.stderr[-2000:]
    docs = tables.read(spark, lake, BRONZE_DOCUMENTS)
    assert docs.count() == 10  # the first file's documents committed, its log row not
    assert tables.read(spark, lake, BRONZE_INGEST_LOG).count() == 0
    before = tables.version(spark, lake, BRONZE_DOCUMENTS)
    summary = run_ingest(spark, cfg_for(lake), [str(tmp_path)], progress=quiet)
    assert summary.files_processed == 3
    # the pending batch was redone and Delta skipped its documents append: one new append, for the other two files
    assert tables.version(spark, lake, BRONZE_DOCUMENTS) == before + 1
    docs = tables.read(spark, lake, BRONZE_DOCUMENTS)
    assert docs.count() == 30 and docs.select("doc_id").distinct().count() == 30


def test_two_runs_at_once_do_not_duplicate(spark, lake, tmp_path):
    for k in range(4):
        make_wet(tmp_path / f"c{k}.wet.gz", range(k * 5, k * 5 + 5))
    cfg = cfg_for(lake, **{"ingest.files_per_batch": 2})
    run_ingest(spark, cfg, [str(tmp_path / "c0.wet.gz")], progress=quiet)  # tables exist before the race
    # a clean failure is allowed; duplicates are not
    errors = run_at_once(lambda: run_ingest(spark, cfg, [str(tmp_path)], progress=quiet), threads=2)
    docs = tables.read(spark, lake, BRONZE_DOCUMENTS)
    assert docs.count() == docs.select("doc_id").distinct().count()
    if not errors:
        assert docs.count() == 20


def test_http_inputs_with_flaky_server(spark, lake):
    with flaky_server(SAMPLE) as (base, _state):
        url = f"{base}/CC-MAIN-2021-39-oscar63.warc.wet.gz"
        summary = run_ingest(spark, cfg_for(lake), [url, f"{base}/nope.wet.gz"], progress=quiet)
    assert summary.file_statuses == {"ok": 1, "unreachable": 1}
    docs = tables.read(spark, lake, BRONZE_DOCUMENTS)
    assert docs.count() == 63 and docs.where(F.col("source_file") == url).count() == 63
    q = tables.read(spark, lake, BRONZE_QUARANTINE).collect()
    assert [(r.reason, "404" in r.detail) for r in q] == [("unreachable", True)]


def test_document_table_keeps_text_out_of_statistics(spark, lake, tmp_path):
    make_wet(tmp_path / "s.wet.gz", range(2))
    run_ingest(spark, cfg_for(lake), [str(tmp_path)], progress=quiet)
    props = DeltaTable.forPath(spark, tables.table_path(lake, BRONZE_DOCUMENTS)).detail().first().properties
    assert "text" not in props["delta.dataSkippingStatsColumns"].split(",")


def test_missing_input_stops_before_the_lake_is_touched(spark, lake, tmp_path):
    make_wet(tmp_path / "a.wet.gz", range(2))
    for inputs in ([str(tmp_path / "a.wet.gz"), str(tmp_path / "typo.wet.gz")], [str(tmp_path / "none-*.wet.gz")]):
        with pytest.raises(PreflightError, match=r"typo\.wet\.gz|none-\*"):
            run_ingest(spark, cfg_for(lake), inputs, progress=quiet)
    assert not tables.exists(spark, lake, BRONZE_DOCUMENTS)


def test_file_uri_inputs_are_local_paths(spark, lake, tmp_path):
    path = make_wet(tmp_path / "u.wet.gz", range(3))
    summary = run_ingest(spark, cfg_for(lake), [f"file://{path}"], progress=quiet)
    assert summary.documents_loaded == 3 and summary.file_statuses == {"ok": 1}
    assert {r.source_file for r in tables.read(spark, lake, BRONZE_INGEST_LOG).collect()} == {str(path)}


def test_truncated_file_is_read_again_once_it_changes(spark, lake, tmp_path):
    full = make_wet(tmp_path / "full.wet.gz", range(10), text="A record long enough to cut. " * 20).read_bytes()
    growing = tmp_path / "copying" / "g.wet.gz"
    growing.parent.mkdir()
    growing.write_bytes(full[: len(full) // 2])  # a copy still in progress
    cfg = cfg_for(lake)
    first = run_ingest(spark, cfg, [str(growing)], progress=quiet)
    assert first.file_statuses == {"truncated": 1} and 0 < first.documents_loaded < 10
    unchanged = run_ingest(spark, cfg, [str(growing)], progress=quiet)
    assert unchanged.files_processed == 0 and unchanged.truncated_unchanged == 1
    growing.write_bytes(full)  # the copy finished
    done = run_ingest(spark, cfg, [str(growing)], progress=quiet)
    assert done.file_statuses == {"ok": 1} and done.files_reread == 1
    assert done.already_loaded == first.documents_loaded and done.documents_loaded == 10 - first.documents_loaded
    docs = tables.read(spark, lake, BRONZE_DOCUMENTS)
    assert docs.count() == 10 and docs.select("doc_id").distinct().count() == 10
    log = tables.read(spark, lake, BRONZE_INGEST_LOG).orderBy("started_at").collect()
    assert [(r.status, r.source_size) for r in log] == [("truncated", len(full) // 2), ("ok", len(full))]
    assert log[-1].source_checksum == f"crc32:{zlib.crc32(full):08x}"


def test_damaged_copy_loses_to_the_copy_whose_digest_verifies(spark, lake, tmp_path):
    headers = {**conversion_headers("https://a.example/", "<urn:uuid:0000-dup>", "2024-05-18T01:58:10Z"),
               "WARC-Block-Digest": block_digest(b"the intact text\n")}
    with open(tmp_path / "a-damaged.wet.gz", "wb") as fh:  # sorts first by file name
        write_wet(fh, [(headers, b"the intact t3xt\n")])
    with open(tmp_path / "b-intact.wet.gz", "wb") as fh:
        write_wet(fh, [(headers, b"the intact text\n")])
    run_ingest(spark, cfg_for(lake), [str(tmp_path)], progress=quiet)
    docs = tables.read(spark, lake, BRONZE_DOCUMENTS).collect()
    assert [(d.source_file.rsplit("/", 1)[1], d.text) for d in docs] == [("b-intact.wet.gz", "the intact text\n")]
    q = tables.read(spark, lake, BRONZE_QUARANTINE).collect()
    assert [(r.reason, r.source_file.rsplit("/", 1)[1]) for r in q] == [("digest_mismatch", "a-damaged.wet.gz")]


def test_http_body_cut_without_content_length_is_read_again(spark, lake):
    """A server that closes early and never said how long the body was: the file is `truncated`, not final, and the
    next run (HEAD now gives the size) reads it whole, loading each record once."""
    with cut_body_server(SAMPLE) as (base, state):
        url = f"{base}/CC-MAIN-2021-39-oscar63.warc.wet.gz"
        first = run_ingest(spark, cfg_for(lake), [url], progress=quiet)
        assert first.file_statuses == {"truncated": 1} and first.documents_loaded < 63
        second = run_ingest(spark, cfg_for(lake), [url], progress=quiet)
    assert second.file_statuses == {"ok": 1} and second.files_reread == 1 and state["hits"]["/" + url.rsplit("/", 1)[1]] == 2
    docs = tables.read(spark, lake, BRONZE_DOCUMENTS)
    assert docs.count() == 63 and docs.select("doc_id").distinct().count() == 63


# The split of issue 25: fragment3.wet.gz's records also sit in the 2016 download of the old half, under another name.
OLD_HALF = (SAMPLE / "CC-MAIN-2021-39-oscar63.warc.wet.gz", SAMPLE / "CC-MAIN-2016-50-truncated-download.wet.gz",
            FRAGMENTS / "filter_test_1.wet.gz")
NEW_HALF = (SAMPLE / "CC-MAIN-2024-22-whirlwind.warc.wet.gz",
            SAMPLE / "GENERATED-duplicates-clough-stevenson-and-mirrors.warc.wet.gz", FRAGMENTS / "fragment3.wet.gz")


def bronze_state(spark, lake):
    """What must not depend on batching: the loaded records and the quarantine's reasons with their record ids."""
    docs = tables.read(spark, lake, BRONZE_DOCUMENTS).select("doc_id", "text").collect()
    quarantine = tables.read(spark, lake, BRONZE_QUARANTINE).select("reason", "warc_record_id").collect()
    return sorted((r.doc_id, r.text) for r in docs), sorted((r.reason, r.warc_record_id or "") for r in quarantine)


@pytest.fixture(scope="module")
def one_refresh_state(spark, tmp_path_factory):
    """Bronze after one ingest of both halves together: what any batching must give."""
    lake = str(tmp_path_factory.mktemp("one_refresh") / "lake")
    run_ingest(spark, cfg_for(lake), [str(p) for p in OLD_HALF + NEW_HALF], progress=quiet)
    return bronze_state(spark, lake)


@pytest.mark.parametrize("order", ["old_then_new", "new_then_old"])
def test_batching_does_not_change_bronze(spark, lake, one_refresh_state, order):
    expected_docs, expected_quarantine = one_refresh_state
    assert len(expected_docs) == len({d for d, _t in expected_docs})
    assert "duplicate_record_id" in {reason for reason, _rid in expected_quarantine}
    first, then = (OLD_HALF, NEW_HALF) if order == "old_then_new" else (NEW_HALF, OLD_HALF)
    run_ingest(spark, cfg_for(lake), [str(p) for p in first], progress=quiet)
    second = run_ingest(spark, cfg_for(lake), [str(p) for p in first + then], progress=quiet)
    assert bronze_state(spark, lake) == (expected_docs, expected_quarantine)  # one row per record, whoever brought it
    assert second.quarantine_reasons.get("duplicate_record_id", 0) > 0
    added = tables.read(spark, lake, BRONZE_DOCUMENTS).where(F.col("ingest_run_id") == second.run_id).count()
    assert second.documents_loaded == added


def test_same_file_under_another_name_later_is_quarantined(spark, lake, tmp_path):
    original = make_wet(tmp_path / "a.wet.gz", range(0, 6))
    run_ingest(spark, cfg_for(lake), [str(original)], progress=quiet)
    copy = tmp_path / "mirror" / "renamed-copy.wet.gz"
    copy.parent.mkdir()
    copy.write_bytes(original.read_bytes())
    second = run_ingest(spark, cfg_for(lake), [str(copy)], progress=quiet)
    assert second.documents_loaded == 0 and second.quarantine_reasons == {"duplicate_record_id": 6}
    docs = tables.read(spark, lake, BRONZE_DOCUMENTS)
    assert docs.count() == 6 == docs.select("doc_id").distinct().count()
    details = {r.detail for r in tables.read(spark, lake, BRONZE_QUARANTINE).collect()}
    assert details == {f"WARC-Record-ID already loaded from {original}"}
