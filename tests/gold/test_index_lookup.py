"""gold/minhash_index lookups read files in proportion to the keys looked up, not to the index's size.

An index of N documents and one of 10N, both written with `index_layout` into a Delta table partitioned as the
table spec says, are asked for the same k buckets. The files and bytes the Delta scan reads (its `numFiles` and
`filesSize` metrics, read from the executed plan) stay the same, and the rows found equal a Python oracle.
"""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from etl.gold.dedup import LOOKUP_PRUNE_MIN_FILES_PER_BAND, bucket_lookup, bucket_scan, index_layout
from etl.table_specs import GOLD_MINHASH_INDEX, spec

BANDS = 4
FILE_ROWS = 125  # small files so that a few thousand rows already make many of them (8 per band and more)
DOCS = 1_000  # N; the large index holds 10N
LOOKED_UP_DOCS = 3  # k = their BANDS buckets each


def _index_rows(spark, docs: int):
    """GENERATED index rows: every document in one bucket per band, band_hash a 64-bit hash as in the product."""
    return spark.range(docs * BANDS).select(
        (F.col("id") % BANDS).cast("int").alias("band"), F.xxhash64("id").alias("band_hash"),
        F.format_string("d%08d", (F.col("id") / BANDS).cast("long")).alias("doc_id"))


def _write(spark, path: str, docs: int, file_rows: int = FILE_ROWS):
    index_layout(_index_rows(spark, docs), file_rows).write.format("delta") \
        .partitionBy(*spec(GOLD_MINHASH_INDEX).partition_by).save(path)
    return spark.read.format("delta").load(path)


def _scan_metrics(df) -> tuple[int, int]:
    """(files, bytes) the file scans of `df`'s executed plan read, after running it."""
    rows = df.collect()
    assert rows is not None
    found = [0, 0]

    def walk(node) -> None:
        if node.getClass().getSimpleName().startswith("FileSourceScanExec"):
            found[0] += int(node.metrics().apply("numFiles").value())
            found[1] += int(node.metrics().apply("filesSize").value())
        children = node.children()
        for i in range(children.size()):
            walk(children.apply(i))

    walk(df._jdf.queryExecution().executedPlan())
    return found[0], found[1]


@pytest.fixture(scope="module")
def indexes(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("minhash_index")
    return {n: _write(spark, str(root / f"x{n}"), n) for n in (DOCS, 10 * DOCS)}


@pytest.fixture(scope="module")
def few_files_index(spark, tmp_path_factory):
    """DOCS documents in one file per band: fewer than LOOKUP_PRUNE_MIN_FILES_PER_BAND, so a lookup joins it whole."""
    return _write(spark, str(tmp_path_factory.mktemp("minhash_index_few") / "x"), DOCS, DOCS * BANDS)


def _keys(spark):
    return _index_rows(spark, LOOKED_UP_DOCS).select("band", "band_hash")


def test_a_lookup_reads_the_same_files_whatever_the_index_size(spark, indexes):
    previous = spark.conf.get("spark.sql.adaptive.enabled")
    spark.conf.set("spark.sql.adaptive.enabled", "false")  # one plan tree to read the scan metrics from
    try:
        read = {n: _scan_metrics(bucket_scan(index, _keys(spark))) for n, index in indexes.items()}
    finally:
        spark.conf.set("spark.sql.adaptive.enabled", previous)
    k = LOOKED_UP_DOCS * BANDS
    (small_files, small_bytes), (large_files, large_bytes) = read[DOCS], read[10 * DOCS]
    total_large = len(indexes[10 * DOCS].inputFiles())
    assert total_large >= 10 * k  # reading the whole index would be many more files
    assert 0 < small_files <= k and 0 < large_files <= k  # at most one file per key, at either size
    assert large_bytes <= 1.5 * small_bytes  # files of the same size: the bytes read do not grow with the index


@pytest.mark.parametrize("limit", [100, 3])  # literal filter per band; above the limit, the semi-join
def test_lookup_rows_equal_the_oracle(spark, indexes, limit):
    keys = _keys(spark)
    wanted = {(r.band, r.band_hash) for r in keys.collect()}
    for index in indexes.values():
        expected = sorted(tuple(r) for r in index.collect() if (r.band, r.band_hash) in wanted)
        got = sorted(tuple(r) for r in bucket_lookup(index, keys, limit).collect())
        assert got == expected and len(got) == len(wanted)
    assert bucket_lookup(indexes[DOCS], keys.limit(0)).count() == 0


def test_a_small_or_empty_index_is_joined_whole_with_the_same_rows(spark, indexes, few_files_index, tmp_path):
    keys = _keys(spark)
    assert 0 < len(few_files_index.inputFiles()) < LOOKUP_PRUNE_MIN_FILES_PER_BAND * BANDS
    assert len(indexes[DOCS].inputFiles()) >= LOOKUP_PRUNE_MIN_FILES_PER_BAND * BANDS  # the other tests prune
    wanted = {(r.band, r.band_hash) for r in keys.collect()}
    expected = sorted(tuple(r) for r in few_files_index.collect() if (r.band, r.band_hash) in wanted)
    assert len(expected) == len(wanted)
    files = few_files_index.inputFiles()
    assert sorted(tuple(r) for r in bucket_lookup(few_files_index, keys, index_files=files).collect()) == expected
    assert sorted(tuple(r) for r in bucket_lookup(few_files_index, keys).collect()) == expected  # scans per band
    plan = bucket_scan(few_files_index, keys, index_files=files)._jdf.queryExecution().optimizedPlan().toString()
    assert "Union" not in plan  # no scan per band
    empty_path = str(tmp_path / "empty")
    _index_rows(spark, DOCS).limit(0).write.format("delta").save(empty_path)
    empty = spark.read.format("delta").load(empty_path)
    assert empty.inputFiles() == [] and bucket_lookup(empty, keys, index_files=[]).count() == 0
