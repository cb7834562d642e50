"""Input expansion and remote reads (against a misbehaving loopback server)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from etl.io.sources import (RetryPolicy, SourceUnavailable, expand_inputs, open_source, s3_to_https)
from tests.helpers.flaky_http import flaky_server

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "data" / "sample"
FAST = RetryPolicy(max_retries=4, backoff_base_s=0.01, backoff_max_s=0.05, timeout_s=5)


def test_http_read_survives_503_and_dropped_connection():
    name = "CC-MAIN-2021-39-oscar63.warc.wet.gz"
    expected = (SAMPLE_DIR / name).read_bytes()
    with flaky_server(SAMPLE_DIR) as (base, state):
        with open_source(f"{base}/{name}", FAST) as fh:
            got = fh.read()
        assert state["hits"][f"/{name}"] == 3  # 503, dropped halfway, resumed with Range
    assert got == expected


def test_http_404_is_unavailable_without_retrying():
    with flaky_server(SAMPLE_DIR) as (base, state):
        with pytest.raises(SourceUnavailable, match="HTTP 404"):
            open_source(f"{base}/missing.wet.gz", FAST)
        assert state["hits"]["/missing.wet.gz"] == 1


def test_retries_are_bounded(tmp_path):
    policy = RetryPolicy(max_retries=2, backoff_base_s=0.0, backoff_max_s=0.0, timeout_s=1)
    with pytest.raises(SourceUnavailable, match="giving up after 2 retries"):
        open_source("http://127.0.0.1:9/nothing-listens-here", policy)


def test_expand_manifest_dir_glob_and_missing(tmp_path):
    manifest = tmp_path / "wet.paths.gz"
    manifest.write_bytes(gzip.compress(b"crawl-data/a.warc.wet.gz\ncrawl-data/b.warc.wet.gz\n"))
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x.wet.gz").write_bytes(b"")
    (tmp_path / "d" / "notes.md").write_text("not a WET file")
    got = expand_inputs([str(manifest), str(tmp_path / "d"), str(tmp_path / "d" / "*.wet.gz"),
                         str(tmp_path / "missing.wet")], "https://data.commoncrawl.org/")
    assert got == sorted({
        "https://data.commoncrawl.org/crawl-data/a.warc.wet.gz",
        "https://data.commoncrawl.org/crawl-data/b.warc.wet.gz",
        str((tmp_path / "d" / "x.wet.gz").resolve()),
        str((tmp_path / "missing.wet").resolve()),
    })


def test_expand_ignores_empty_entries():
    assert expand_inputs(["", "  "], "p/") == []


def test_commoncrawl_bucket_maps_to_https():
    assert s3_to_https("s3://commoncrawl/crawl-data/x.wet.gz", "https://data.commoncrawl.org/") == \
        "https://data.commoncrawl.org/crawl-data/x.wet.gz"
    assert s3_to_https("s3://other-bucket/x", "https://data.commoncrawl.org/") is None


def test_missing_local_file_is_unavailable(tmp_path):
    with pytest.raises(SourceUnavailable, match="file not found"):
        open_source(str(tmp_path / "nope.wet.gz"))
