"""Ingest benchmark: our bronze ingest vs a bare fastwarc loop and bare zlib on the same generated WET files."""

from __future__ import annotations

import shutil
import time
import zlib
from pathlib import Path

from fastwarc.warc import ArchiveIterator, WarcRecordType

from bench.gen_wet import CACHE, generate
from bench.memory import PeakMemory
from etl.bronze.records import KIND_DOCUMENT, file_batches
from etl.config import IngestConfig, load_config

GZIP_WBITS = 31
FEED_BYTES = 64 * 1024


def bare_gzip(paths: list[Path]) -> tuple[int, float]:
    """Decompress every member of every file with zlib and nothing else: the floor for any reader."""
    out = 0
    t0 = time.perf_counter()
    for p in paths:
        data = memoryview(p.read_bytes())
        pos = 0
        d = zlib.decompressobj(GZIP_WBITS)
        while pos < len(data):
            feed = data[pos : pos + FEED_BYTES]  # small feeds: unused_data is copied at every member end
            out += len(d.decompress(feed))
            if d.eof:
                pos += len(feed) - len(d.unused_data)
                d = zlib.decompressobj(GZIP_WBITS)
            else:
                pos += len(feed)
    return out, time.perf_counter() - t0


def bare_fastwarc(paths: list[Path]) -> tuple[int, float]:
    """fastwarc reading conversion records and their payloads, the fastest parser we compare with."""
    n = 0
    t0 = time.perf_counter()
    for p in paths:
        with open(p, "rb") as fh:
            for rec in ArchiveIterator(fh, record_types=WarcRecordType.conversion, parse_http=False):
                rec.reader.read()
                n += 1
    return n, time.perf_counter() - t0


def our_parser(paths: list[Path]) -> tuple[int, float]:
    """Our reader to Arrow batches in one process (what each Spark task runs), without Spark or Delta."""
    cfg = IngestConfig()
    n = 0
    t0 = time.perf_counter()
    for p in paths:
        for batch in file_batches(str(p), cfg):
            kinds = batch.column("kind").to_pylist()
            n += sum(k == KIND_DOCUMENT for k in kinds)
    return n, time.perf_counter() - t0


def our_spark(paths: list[Path], cores: int) -> tuple[int, float, dict]:
    """The full bronze ingest (Spark tasks, Arrow, Delta MERGE + log) into a fresh lake, `cores` local cores."""
    from etl.bronze.ingest import run_ingest
    from etl.spark import get_spark

    lake = CACHE / "lake-ingest"
    shutil.rmtree(lake, ignore_errors=True)
    cfg = load_config(overrides={"lake": str(lake), "spark.master": f"local[{cores}]",
                                 "spark.shuffle_partitions": cores, "spark.driver_memory": "4g"})
    spark = get_spark(cfg.spark)
    warm = CACHE / "lake-warmup"
    shutil.rmtree(warm, ignore_errors=True)
    run_ingest(spark, load_config(overrides={"lake": str(warm)}), [str(paths[0])], progress=lambda m: None)
    with PeakMemory() as mem:
        t0 = time.perf_counter()
        summary = run_ingest(spark, cfg, [str(p) for p in paths], progress=lambda m: None)
        elapsed = time.perf_counter() - t0
    shutil.rmtree(warm, ignore_errors=True)
    return summary.documents_loaded, elapsed, mem.as_dict()


def run(files: int = 8, mb_per_file: float = 26.0, cores: int = 2) -> dict:
    paths = generate(CACHE / "wet", files, mb_per_file)
    compressed = sum(p.stat().st_size for p in paths)
    raw_bytes, gz_s = bare_gzip(paths)
    fw_records, fw_s = bare_fastwarc(paths)
    py_records, py_s = our_parser(paths)
    sp_records, sp_s, mem = our_spark(paths, cores)
    assert fw_records == py_records == sp_records, (fw_records, py_records, sp_records)
    mb = raw_bytes / 1e6
    ours_per_core = sp_records / sp_s / cores
    bare_per_core = fw_records / fw_s
    return {
        "data": f"GENERATED: {files} WET files, {mb:.0f} MB uncompressed, {compressed / 1e6:.0f} MB gzip, "
                f"{sp_records} records (real CC text re-cut)",
        "cores": cores,
        "records": sp_records,
        "uncompressed_mb": round(mb, 1),
        "ours_records_per_s_per_core": round(ours_per_core, 1),
        "ours_mb_per_s_per_core": round(mb / sp_s / cores, 2),
        "ours_wall_s": round(sp_s, 2),
        "our_parser_only_records_per_s": round(py_records / py_s, 1),
        "bare_fastwarc_records_per_s": round(bare_per_core, 1),
        "bare_fastwarc_mb_per_s": round(mb / fw_s, 2),
        "bare_gzip_mb_per_s": round(mb / gz_s, 2),
        "ratio_vs_bare_parser": round(ours_per_core / bare_per_core, 3),
        "parser_only_ratio_vs_bare_parser": round((py_records / py_s) / bare_per_core, 3),
        **mem,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
