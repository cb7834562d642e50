"""jobs/export.py on a copy of the session's sample lake: shards equal gold; sizes, checksums, determinism."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from delta.tables import DeltaTable
from pyspark.sql import functions as F

from etl import tables
from etl.cli.common import EXIT_FAILURE, EXIT_OK, EXIT_USAGE
from etl.cli.export import export_main
from etl.gold.build import GOLD_DOCUMENT_COLUMNS
from etl.table_specs import GOLD_DOCUMENTS, GOLD_DUPLICATES
from etl.export import (DATA_DIR, ID_COLUMN, MANIFEST, TEXT_COLUMN, TIMESTAMP_FORMAT, TOKEN_COUNT_FIELD, WORD_RE,
                        load_tokenizer, plan_shards, shard_name, starts_new_shard, token_counts)
from etl.export import job as export
from tests.helpers.lakes import copy_lake

SHARDS_WANTED = 3
LANGUAGE = "en"
SIZE_TOLERANCE = 0.10  # shards but the last within 10% of --shard-bytes
SMALL_SORT_PARTITION_BYTES = 2**16  # a few sort partitions for the sample's gold table instead of one
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
assert TIMESTAMP_FORMAT == "%Y-%m-%dT%H:%M:%SZ"  # what ISO_UTC checks


@pytest.fixture(scope="module")
def built(spark, sample_lake, tmp_path_factory) -> dict:
    """The session's sample lake (real multilingual records, the real texts with planted duplicates; the default
    config), copied, then one hand-made gold version (a row deleted) to travel back from."""
    lake = copy_lake(sample_lake.lake, tmp_path_factory.mktemp("export") / "lake")
    before = tables.version(spark, lake, GOLD_DOCUMENTS)
    path = tables.table_path(lake, GOLD_DOCUMENTS)
    first_id = tables.read(spark, lake, GOLD_DOCUMENTS).agg(F.min(ID_COLUMN)).first()[0]
    DeltaTable.forPath(spark, path).delete(F.col(ID_COLUMN) == first_id)
    return {"lake": lake, "before": before, "latest": tables.version(spark, lake, GOLD_DOCUMENTS),
            "deleted": first_id}


def gold_rows(spark, lake: str, version: int | None = None, language: str | None = None) -> dict[str, str]:
    reader = spark.read.format("delta")
    if version is not None:
        reader = reader.option("versionAsOf", version)
    df = reader.load(tables.table_path(lake, GOLD_DOCUMENTS))
    if language is not None:
        df = df.where(F.col("language") == language)
    return {r[ID_COLUMN]: r[TEXT_COLUMN] for r in df.select(ID_COLUMN, TEXT_COLUMN).collect()}


def run(*argv) -> int:
    try:
        return export_main([str(a) for a in argv])
    except SystemExit as exc:  # argparse's own errors
        return exc.code


def manifest_of(out: Path) -> dict:
    return json.loads((out / MANIFEST).read_text())


def jsonl_records(out: Path, manifest: dict) -> list[list[dict]]:
    return [[json.loads(line) for line in gzip.open(out / f["path"], "rt", encoding="utf-8")]
            for f in manifest["files"]]


def assert_manifest_matches_files(out: Path, manifest: dict) -> None:
    names = sorted(p.relative_to(out).as_posix() for p in (out / DATA_DIR).iterdir())
    assert names == [f["path"] for f in manifest["files"]]
    for f in manifest["files"]:
        data = (out / f["path"]).read_bytes()
        assert f["bytes"] == len(data) and f["sha256"] == hashlib.sha256(data).hexdigest()
    assert manifest["totals"]["files"] == len(manifest["files"])
    for key in ("rows", "bytes", "uncompressed_bytes", "text_bytes", "words", "tokens"):
        assert manifest["totals"][key] == sum(f[key] for f in manifest["files"])


@pytest.fixture(scope="module")
def jsonl_export(spark, built, tmp_path_factory) -> tuple[Path, dict]:
    n = len(gold_rows(spark, built["lake"]))
    out = tmp_path_factory.mktemp("jsonl") / "out"
    per_shard = -(-n // SHARDS_WANTED)
    assert run("--lake", built["lake"], "--out", out, "--shard-rows", per_shard) == EXIT_OK
    return out, manifest_of(out)


def test_jsonl_shards_equal_gold_in_datatrove_form(spark, built, jsonl_export):
    out, manifest = jsonl_export
    gold = gold_rows(spark, built["lake"])
    assert manifest["delta_version"] == built["latest"] and manifest["table"] == GOLD_DOCUMENTS
    assert manifest["format"] == "jsonl" and manifest["compression"] == "gzip" and manifest["deterministic"]
    assert_manifest_matches_files(out, manifest)
    files = manifest["files"]
    count = len(files)
    assert count == SHARDS_WANTED
    assert [f["path"] for f in files] == [shard_name("train", i, count, ".jsonl.gz") for i in range(count)]
    assert files[0]["path"] == f"data/train-00000-of-0000{count}.jsonl.gz"
    per_shard = manifest["shard_target"]["rows"]
    assert [f["rows"] for f in files[:-1]] == [per_shard] * (count - 1) and 0 < files[-1]["rows"] <= per_shard

    shards = jsonl_records(out, manifest)
    records = [r for shard in shards for r in shard]
    ids = [r["id"] for r in records]
    assert ids == sorted(gold) and {r["id"]: r["text"] for r in records} == gold  # every row once, in doc_id order
    for f, shard in zip(files, shards):
        assert (f["first_id"], f["last_id"], f["rows"]) == (shard[0]["id"], shard[-1]["id"], len(shard))
    metadata = set(GOLD_DOCUMENT_COLUMNS) - {ID_COLUMN, TEXT_COLUMN}
    for r in records:
        assert list(r)[:2] == ["text", "id"] and metadata <= set(r["metadata"])  # datatrove's Document fields
        assert ISO_UTC.match(r["metadata"]["warc_date"])
    assert manifest["totals"]["text_bytes"] == sum(len(t.encode("utf-8")) for t in gold.values())
    assert manifest["totals"]["words"] == sum(len(WORD_RE.findall(t)) for t in gold.values())
    # tokens: the bundled GPT-2 tokenizer (the default), per document in the metadata and summed per file and in all
    tokenizer = load_tokenizer("gpt2")
    assert manifest["totals"]["tokenizer"] == manifest["tokenizer"]["name"] == "gpt2"
    assert manifest["tokenizer"]["sha256"] == tokenizer.sha256
    assert [r["metadata"][TOKEN_COUNT_FIELD] for r in records] == token_counts([r["text"] for r in records], tokenizer)
    assert manifest["totals"]["tokens"] == sum(r["metadata"][TOKEN_COUNT_FIELD] for r in records)
    for f, shard in zip(files, shards):
        assert f["tokens"] == sum(r["metadata"][TOKEN_COUNT_FIELD] for r in shard)
    assert manifest["totals"]["documents"] == len(gold)
    by_language = manifest["languages"]
    assert sum(v["rows"] for v in by_language.values()) == len(gold) and len(by_language) > 1
    assert manifest["run_id_column"] == "gold_run_id" and manifest["run_ids"]


def test_parquet_by_bytes_is_deterministic_and_equal_to_gold(spark, built, jsonl_export, tmp_path, monkeypatch,
                                                             capsys):
    records = [r for shard in jsonl_records(*jsonl_export) for r in shard]
    assert sum(len(json.dumps(r, ensure_ascii=False).encode("utf-8")) + 1
               for r in records) == jsonl_export[1]["totals"]["uncompressed_bytes"]
    # English only: the short real answers (the sample's German and Spanish pages are up to 109 KB each). The target
    # makes several shards and every row is at most a fifth of it, where 10% is guaranteed.
    english = [r for r in records if r["metadata"]["language"] == LANGUAGE]
    line_sizes = [len(json.dumps(r, ensure_ascii=False).encode("utf-8")) + 1 for r in english]
    target = max(sum(line_sizes) // 4, 5 * max(line_sizes))
    outs = [tmp_path / "a", tmp_path / "b"]
    for out in outs:
        if out == outs[1]:  # the second export sorts in several partitions: the bytes must not change
            monkeypatch.setattr(export, "SORT_PARTITION_BYTES", SMALL_SORT_PARTITION_BYTES)
        assert run("--lake", built["lake"], "--out", out, "--format", "parquet", "--shard-bytes", target,
                   "--languages", LANGUAGE) == EXIT_OK
    partitions = [int(n) for n in re.findall(r"(\d+) sort partition", capsys.readouterr().out)]
    assert partitions[0] == 1 and partitions[1] > 1
    manifest = manifest_of(outs[0])
    assert_manifest_matches_files(outs[0], manifest)
    files = manifest["files"]
    assert len(files) >= 2 and all(f["path"].endswith(".parquet") for f in files)
    assert [f["rows"] for f in files] == plan_shards(line_sizes, target_bytes=target)
    for f in files[:-1]:
        assert abs(f["uncompressed_bytes"] - target) <= SIZE_TOLERANCE * target
    assert files[-1]["uncompressed_bytes"] <= target * (1 + SIZE_TOLERANCE)

    gold = gold_rows(spark, built["lake"], language=LANGUAGE)
    assert len(gold) == len(english) == manifest["languages"][LANGUAGE]["rows"]
    read = [pq.read_table(outs[0] / f["path"]) for f in files]
    assert read[0].column_names == ["text", "id", "metadata"]
    ids = [i for t in read for i in t.column("id").to_pylist()]
    texts = [x for t in read for x in t.column("text").to_pylist()]
    assert ids == sorted(gold) and dict(zip(ids, texts)) == gold
    assert [t.num_rows for t in read] == [f["rows"] for f in files]

    # Exported twice (one sort partition, then several): the same bytes, and the same manifest.
    for f in files:
        assert (outs[0] / f["path"]).read_bytes() == (outs[1] / f["path"]).read_bytes()
    assert (outs[0] / MANIFEST).read_bytes() == (outs[1] / MANIFEST).read_bytes()


def test_version_time_travel_and_file_uris(spark, built, tmp_path):
    out = tmp_path / "v"
    lake_uri = "file://" + built["lake"]
    assert run("--lake", lake_uri, "--out", "file://" + str(out), "--table-version", built["before"],
               "--format", "parquet", "--compression", "zstd") == EXIT_OK
    manifest = manifest_of(out)
    assert manifest["delta_version"] == built["before"] and manifest["delta_commit_timestamp"]
    ids = [i for f in manifest["files"] for i in pq.read_table(out / f["path"]).column("id").to_pylist()]
    then = gold_rows(spark, built["lake"], built["before"])
    assert built["deleted"] in ids and ids == sorted(then)
    assert set(then) - set(gold_rows(spark, built["lake"])) == {built["deleted"]}


def test_empty_filter_gives_a_manifest_without_files(built, tmp_path, capsys):
    out = tmp_path / "none"
    assert run("--lake", built["lake"], "--out", out, "--languages", "xx-none") == EXIT_OK
    manifest = manifest_of(out)
    assert manifest["files"] == [] and manifest["totals"]["rows"] == 0 and manifest["languages"] == {}
    assert not (out / DATA_DIR).exists() and sorted(p.name for p in out.iterdir()) == [MANIFEST]
    assert re.search(r"^\s*files\s+0$", capsys.readouterr().out, re.MULTILINE)


def test_overwrite_replaces_the_export_and_keeps_other_files(built, tmp_path, capsys):
    out = tmp_path / "o"
    assert run("--lake", built["lake"], "--out", out, "--shard-rows", 10) == EXIT_OK
    (out / "README.md").write_text("card")
    capsys.readouterr()
    assert run("--lake", built["lake"], "--out", out, "--shard-rows", 10) == EXIT_USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not empty" in err[0] and "--overwrite" in err[0]
    assert run("--lake", built["lake"], "--out", out, "--format", "parquet", "--overwrite") == EXIT_OK
    manifest = manifest_of(out)
    assert [f["path"] for f in manifest["files"]] == ["data/train-00000-of-00001.parquet"]
    assert sorted(p.name for p in (out / DATA_DIR).iterdir()) == ["train-00000-of-00001.parquet"]
    assert (out / "README.md").read_text() == "card"


@pytest.mark.parametrize("argv", [
    ["--shard-rows", "0"],
    ["--shard-bytes", "12XB"],
    ["--format", "jsonl", "--compression", "snappy"],
    ["--format", "csv"],
    ["--table-version", "-1"],
    ["--table-version", "999"],
    ["--table", "gold/nope"],
    ["--table", GOLD_DUPLICATES, "--languages", "en"],  # no language column
    ["--split", "train/x"],
    ["--out", "s3a://bucket/export"],
])
def test_bad_arguments_exit_2_with_one_line(built, tmp_path, capsys, argv):
    args = ["--lake", built["lake"], "--out", str(tmp_path / "bad"), *argv]
    assert run(*args) == EXIT_USAGE
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("export: error")]
    assert len(err) == 1


def test_shard_planning_is_exact_by_rows_and_near_the_byte_target():
    assert plan_shards([1] * 10, target_rows=4) == [4, 4, 2]
    assert plan_shards([], target_rows=4) == []
    sizes = [(7 * i) % 13 + 1 for i in range(1000)]
    target = 100
    counts = plan_shards(sizes, target_bytes=target)
    assert sum(counts) == len(sizes)
    start = 0
    for k, n in enumerate(counts):
        total = sum(sizes[start:start + n])
        if k < len(counts) - 1:
            assert abs(total - target) <= max(sizes) / 2
        start += n
    assert plan_shards([500, 1, 1], target_bytes=100) == [1, 2]  # a row larger than the target is a shard alone
    assert not starts_new_shard(0, 0, 10**9, target_rows=1, target_bytes=1)  # never an empty shard


def test_a_failure_mid_shard_cleans_staging_and_keeps_the_previous_export(spark, built, tmp_path, monkeypatch,
                                                                          capsys):
    out = tmp_path / "o"
    assert run("--lake", built["lake"], "--out", out, "--shard-rows", 10) == EXIT_OK
    before = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    opened = []
    real_init = export._Shard.__init__

    def second_shard_fails(self, path, opts):  # as a read-only or full disk would, once the first shard is written
        opened.append(path)
        if len(opened) == 2:
            raise PermissionError(13, "Read-only file system", path)
        real_init(self, path, opts)

    monkeypatch.setattr(export._Shard, "__init__", second_shard_fails)
    opts = export.ExportOptions(out=str(out), shard_rows=10, overwrite=True)
    with pytest.raises(PermissionError, match="Read-only"):
        export.export_table(spark, built["lake"], opts, progress=lambda _: None)
    assert len(opened) == 2
    assert not (out / export.STAGING_DIR).exists()
    assert {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    opened.clear()
    capsys.readouterr()
    assert run("--lake", built["lake"], "--out", out, "--shard-rows", 10, "--overwrite") == EXIT_FAILURE
    assert "export: failed" in capsys.readouterr().err and not (out / export.STAGING_DIR).exists()
