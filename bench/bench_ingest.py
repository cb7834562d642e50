"""Ingest benchmark: our bronze ingest against, on the same generated WET files in the same run,
- the Parquet floor: one process per core reading with fastwarc and writing the same bronze columns to Parquet with
  pyarrow (what any columnar lake must at least do), giving `ratio_vs_parquet_floor`;
- a bare fastwarc loop (reads, writes nothing), giving `ratio_vs_bare_parser`; and bare zlib.
Our Spark ingest is also run on MARGINAL_FACTOR times the files: the difference between the two runs is the cost of
the extra records alone, without the fixed cost per run (jobs, Delta commits, MERGE planning), giving
`ratio_vs_parquet_floor_marginal`."""

from __future__ import annotations

import os
import shutil
import time
import zlib
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from fastwarc.warc import ArchiveIterator, WarcRecordType

from bench.gen_wet import CACHE, generate
from bench.memory import PeakMemory
from etl.table_specs import BRONZE_DOCUMENTS, schema
from etl.bronze.reading import file_batches
from etl.bronze.records import KIND_DOCUMENT, decode_text, doc_id_for, host_of, parse_warc_date, split_languages
from etl.config import IngestConfig, load_config
from etl.io.warc import crawl_id_from

GZIP_WBITS = 31
FEED_BYTES = 64 * 1024
MARGINAL_FACTOR = 3  # the second, larger ingest: this many times the files (extra files of another seed)
EXTRA_SEED = 8  # seed of the extra generated files, so the base files are reused as they are


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


def _floor_table(path: Path, run_id: str, now: datetime) -> pa.Table:
    """One file's bronze rows, built the plainest way: fastwarc records, Python lists, one pyarrow table."""
    cols: dict[str, list] = {name: [] for name in schema(BRONZE_DOCUMENTS).fieldNames()}
    crawl_id = crawl_id_from(path.name)
    with open(path, "rb") as fh:
        for rec in ArchiveIterator(fh, record_types=WarcRecordType.conversion, parse_http=False):
            h = rec.headers
            payload = rec.reader.read()
            text, replaced = decode_text(payload)
            url, record_id = h.get("WARC-Target-URI"), rec.record_id
            row = (doc_id_for(record_id), record_id, url, host_of(url), parse_warc_date(h.get("WARC-Date")),
                   crawl_id, len(payload), split_languages(h.get("WARC-Identified-Content-Language")), text,
                   replaced, h.get("WARC-Refers-To"), h.get("WARC-Block-Digest"), str(path), rec.stream_pos,
                   run_id, now)
            for col, value in zip(cols.values(), row):
                col.append(value)
    return pa.table(cols)


def parquet_floor(paths: list[Path], out_dir: Path) -> tuple[int, float]:
    """The floor for any columnar lake: fastwarc in, the bronze document columns out as Parquet (snappy, as Delta)."""
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    now = datetime.now(timezone.utc)
    n = 0
    t0 = time.perf_counter()
    for i, p in enumerate(paths):
        table = _floor_table(p, "floor", now)
        pq.write_table(table, out_dir / f"part-{i:05d}.parquet", compression="snappy")
        n += table.num_rows
    elapsed = time.perf_counter() - t0
    shutil.rmtree(out_dir, ignore_errors=True)
    return n, elapsed


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


def marginal(paths: list[Path], base: tuple[int, float], files: int, mb_per_file: float, cores: int) -> dict:
    """Our Spark ingest on MARGINAL_FACTOR x the files; per-record cost = extra records / extra seconds."""
    extra = generate(CACHE / f"wet-extra-seed{EXTRA_SEED}", files * (MARGINAL_FACTOR - 1), mb_per_file,
                     seed=EXTRA_SEED)
    n1, t1 = base
    n2, t2, _ = our_spark(paths + extra, cores)
    if t2 <= t1:  # noise larger than the extra work (tiny inputs): no per-record cost to report
        return {"records": n2, "wall_s": round(t2, 2), "marginal_records_per_s_per_core": None, "fixed_cost_s": None}
    per_core = (n2 - n1) / (t2 - t1) / cores
    return {"records": n2, "wall_s": round(t2, 2), "marginal_records_per_s_per_core": round(per_core, 1),
            "fixed_cost_s": round(t1 - n1 / (per_core * cores), 2)}


def run(files: int = 8, mb_per_file: float = 26.0, cores: int = 2) -> dict:
    paths = generate(CACHE / "wet", files, mb_per_file)
    compressed = sum(p.stat().st_size for p in paths)
    raw_bytes, gz_s = bare_gzip(paths)
    fw_records, fw_s = bare_fastwarc(paths)
    floor_records, floor_s = parquet_floor(paths, CACHE / "parquet-floor")
    py_records, py_s = our_parser(paths)
    sp_records, sp_s, mem = our_spark(paths, cores)
    load_1x = os.getloadavg()
    big = marginal(paths, (sp_records, sp_s), files, mb_per_file, cores)
    assert fw_records == floor_records == py_records == sp_records, (fw_records, floor_records, py_records, sp_records)
    mb = raw_bytes / 1e6
    ours_per_core = sp_records / sp_s / cores
    bare_per_core = fw_records / fw_s
    floor_per_core = floor_records / floor_s
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
        "parquet_floor_records_per_s": round(floor_per_core, 1),
        "ratio_vs_parquet_floor": round(ours_per_core / floor_per_core, 3),
        f"ours_{MARGINAL_FACTOR}x": {**big, "data": f"GENERATED: the {files} files above plus "
                                     f"{files * (MARGINAL_FACTOR - 1)} more of seed {EXTRA_SEED}",
                                     "load_avg_after_1x": load_1x, "load_avg_after": os.getloadavg()},
        "ours_marginal_records_per_s_per_core": big["marginal_records_per_s_per_core"],
        "ours_fixed_cost_s": big["fixed_cost_s"],
        "ratio_vs_parquet_floor_marginal": (round(big["marginal_records_per_s_per_core"] / floor_per_core, 3)
                                            if big["marginal_records_per_s_per_core"] else None),
        "parser_only_ratio_vs_parquet_floor": round((py_records / py_s) / floor_per_core, 3),
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
