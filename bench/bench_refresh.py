"""`make bench-refresh`: what a refresh of a fixed increment costs as the lake behind it grows.

The increment is one GENERATED WET file of 2,000 documents (etl/synth/neardup.py: runs of real words, 20% planted
near-duplicates; the odd documents of a 4,000-document set, the base being the even ones, so the increment holds
near-duplicates of history). It is refreshed (bronze, silver, gold: the full path) into lakes that already hold
H = 0, 10x, 100x and 1000x as many documents. The quality filters are off (`gold.families = []`), so every document
reaches the dedup index, the gold structure that grows with the lake. History lakes (up to 1,000x: 2,000,000
documents) are built cheaply and cached in .cache/bench/refresh: one real refresh of the base file, then copies
1..H-1 of every table appended with fresh ids (doc_id + "~k") and re-hashed LSH buckets (the index copies written
with gold's own layout, etl.gold.dedup.index_layout),
so each copy keeps the base's near-duplicate structure without colliding with the others, and no signal is
recomputed. The progress state is advanced over the copies (they count as processed), and the history is
housekept (OPTIMIZE ZORDER by lookup key) as a scheduled lake would be. Each H runs in its own process on a fresh
copy of its cached lake; nothing else should run meanwhile (the load is recorded beside the figures).

refresh.cost_growth_<H>x = refresh seconds at H / at H=0 (targets: <= 1.2 at 100x, <= 1.5 at 1000x). Bytes read
are Spark's input bytes over each stage's jobs (from the UI's REST API), beside the bytes the lake holds.
`python -m bench.bench_refresh --multiples 0,2 --increment-docs 100 --cache /tmp/x` is a toy run of the same code.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "bench" / "refresh"
INCREMENT_DOCS = 2_000
NEARDUP_SEED = 515
MULTIPLES = (0, 10, 100, 1000)
CACHE_VERSION = "v4"  # bump when the table layout changes, so cached lakes are rebuilt
COPY_DIGITS = 4  # "~%04d": fresh ids for up to 9,999 copies


@dataclass(frozen=True)
class Scale:
    """How big the increment is and where its inputs and history lakes are cached (the defaults: the benchmark)."""

    increment_docs: int = INCREMENT_DOCS
    cache: Path = CACHE

    def args(self) -> list[str]:
        """The command-line options that give this scale to a child process."""
        return ["--increment-docs", str(self.increment_docs), "--cache", str(self.cache)]


UI_PORT = 4071


def _spark(ui: bool = False):
    from etl.config import SparkConfig
    from etl.spark import get_spark

    extra = {"spark.ui.port": str(UI_PORT)} if ui else {}
    return get_spark(SparkConfig(master="local[2]", app_name="bench-refresh", shuffle_partitions=4,
                                 driver_memory="4g", ui_enabled=ui, extra_conf=extra))


def _files(scale: Scale) -> tuple[Path, Path]:
    """(base, increment) GENERATED WET files: the even and the odd documents of one near-duplicate set."""
    from etl.synth.neardup import generate
    from etl.io.warc_writer import conversion_headers, warcinfo_headers, write_wet

    out = scale.cache / "inputs"
    n = scale.increment_docs
    paths = (out / f"GENERATED-neardup-base-{n}.warc.wet.gz", out / f"GENERATED-neardup-increment-{n}.warc.wet.gz")
    if all(p.exists() for p in paths):
        return paths
    out.mkdir(parents=True, exist_ok=True)
    ids, texts, _ = generate(2 * scale.increment_docs, dup_fraction=0.2, seed=NEARDUP_SEED)
    for part, path in enumerate(paths):
        records = [warcinfo_headers(path.name, f"CC-MAIN-2099-0{part + 1}")]
        records += [(conversion_headers(f"https://gen.example.org/{ids[i]}", f"<urn:uuid:neardup-{ids[i]}>",
                                        "2099-01-01T00:00:00Z"), texts[i].encode("utf-8"))
                    for i in range(part, len(texts), 2)]
        with open(path, "wb") as fh:
            write_wet(fh, records)
    return paths


def _cfg(lake: str):
    from etl.config import load_config

    return load_config(overrides={"lake": lake, "gold.families": []})


def _lake_bytes(lake: Path) -> int:
    return sum(p.stat().st_size for p in lake.rglob("*.parquet"))


# ---------------------------------------------------------------- history lakes


def _suffixed(col: str):
    from pyspark.sql import functions as F

    return F.concat(F.col(col), F.format_string(f"~%0{COPY_DIGITS}d", F.col("_k")))


REPLICATED_IDS = {
    "bronze/documents": ("doc_id", "warc_record_id", "source_file"),
    "bronze/quarantine": ("quarantine_id", "source_file"),
    "bronze/ingest_log": ("source_file", "batch_id"),
    "_state/ingest_batches": ("batch_id", "source_file"),
    "silver/documents": ("doc_id",),
    "gold/documents": ("doc_id",),
    "gold/rejections": ("doc_id",),
    "gold/duplicates": ("doc_id", "cluster_id", "survivor_id"),
    "gold/clusters": ("doc_id", "cluster_id"),
    "gold/minhash_index": ("doc_id",),
    "gold/minhash_edges": ("doc_id", "root_id"),
}


def _replica_rows(spark, lake: str, name: str, copies: int):
    """Copies 1..copies-1 of a table with fresh ids (and fresh LSH buckets, so copies never meet)."""
    from pyspark.sql import functions as F

    from etl import tables
    from etl.gold.dedup import index_layout

    df = tables.read(spark, lake, name).crossJoin(spark.range(1, copies).select(F.col("id").cast("int").alias("_k")))
    for col in REPLICATED_IDS[name]:
        df = df.withColumn(col, _suffixed(col))
    if name == "gold/minhash_index":
        return index_layout(df.withColumn("band_hash", F.xxhash64("band_hash", "_k")).drop("_k"))
    if name == "gold/minhash_edges":
        band, h = F.split("bucket", ":").getItem(0), F.split("bucket", ":").getItem(1).cast("long")
        df = df.withColumn("bucket", F.concat_ws(":", band, F.xxhash64(h, "_k")))
    return df.drop("_k")


def build_history(copies: int, scale: Scale = Scale()) -> Path:
    """The cached lake holding `copies` x the base refresh (built once)."""
    from etl import progress, tables
    from etl.housekeeping import run_housekeeping
    from etl.pipeline import refresh
    from etl.table_specs import BRONZE_DOCUMENTS, SILVER_DOCUMENTS, STAGE_GOLD, STAGE_SILVER

    out = scale.cache / f"lake-{CACHE_VERSION}-x{copies}"
    if (out / "_READY").exists():
        return out
    base_file, _ = _files(scale)
    base = scale.cache / f"lake-{CACHE_VERSION}-x1"
    spark = _spark()
    if not (base / "_READY").exists():
        shutil.rmtree(base, ignore_errors=True)
        refresh(spark, _cfg(str(base)), [str(base_file)], progress=lambda m: print("  base:", m, flush=True))
        (base / "_READY").write_text("ok")
    if copies == 1:
        return base
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(base, out)
    lake = str(out)
    for name in REPLICATED_IDS:
        if tables.exists(spark, lake, name):
            # read from the base, append to the copy: one commit per table
            rows = _replica_rows(spark, str(base), name, copies)
            rows.write.format("delta").mode("append").save(tables.table_path(lake, name))
            print(f"  x{copies}: {name} replicated", flush=True)
    for stage, source in ((STAGE_SILVER, BRONZE_DOCUMENTS), (STAGE_GOLD, SILVER_DOCUMENTS)):
        processed, _, seq = progress.state(spark, lake, stage)
        step = progress.Step(stage, seq, processed, tables.version(spark, lake, source))
        progress.begin(spark, lake, step, "bench-replicate")
        progress.finish(spark, lake, step, "bench-replicate")
    run_housekeeping(spark, lake, zorder=True, vacuum=False)
    (out / "_READY").write_text("ok")
    spark.stop()
    return out


# ---------------------------------------------------------------- one measurement (own process)


def _input_bytes(app_url: str) -> int:
    with urllib.request.urlopen(f"{app_url}/stages?status=complete", timeout=30) as resp:
        return sum(s.get("inputBytes", 0) for s in json.load(resp))


def measure(copies: int, scale: Scale = Scale()) -> dict:
    """Refresh the increment into a fresh copy of the history lake (copies=0: an empty lake), stage by stage."""
    from bench.memory import PeakMemory
    from etl.bronze.ingest import new_run_id, run_ingest
    from etl.gold.build import run_gold
    from etl.pipeline import refresh
    from etl.silver.build import run_silver

    _, increment = _files(scale)
    work = Path(tempfile.mkdtemp(prefix="bench-refresh-"))
    lake = work / "lake"
    if copies:
        shutil.copytree(build_history(copies, scale), lake)
    history_bytes = _lake_bytes(lake) if copies else 0
    spark = _spark(ui=True)
    app = f"http://localhost:{UI_PORT}/api/v1/applications/{spark.sparkContext.applicationId}"
    cfg = _cfg(str(lake))
    run_id = new_run_id()
    out: dict = {"history_copies": copies, "history_parquet_bytes": history_bytes}
    quiet = lambda _m: None  # noqa: E731
    with PeakMemory() as mem:
        stages = {}
        for name, fn in (("bronze", lambda: run_ingest(spark, cfg, [str(increment)], quiet, run_id=run_id)),
                         ("silver", lambda: run_silver(spark, cfg, run_id, quiet)),
                         ("gold", lambda: run_gold(spark, cfg, run_id, quiet))):
            before = _input_bytes(app)
            t0 = time.perf_counter()
            result = fn()
            stages[name] = {"seconds": round(time.perf_counter() - t0, 2),
                            "input_bytes": _input_bytes(app) - before}
            if name == "bronze":
                out["increment_documents"] = result.documents_loaded
        t0 = time.perf_counter()
        noop = refresh(spark, cfg, [str(increment)], progress=quiet)
        out["noop_refresh_seconds"] = round(time.perf_counter() - t0, 2)
        out["noop_changed_nothing"] = noop.bronze.files_processed == 0 and noop.silver.documents_in == 0
    out["stages"] = stages
    out["refresh_seconds"] = round(sum(s["seconds"] for s in stages.values()), 2)
    out["history_documents"] = noop.funnel["lake_rows"]["bronze/documents"] - out["increment_documents"]
    out["memory"] = mem.as_dict()
    spark.stop()
    shutil.rmtree(work, ignore_errors=True)
    return out


def run(multiples: tuple[int, ...] = MULTIPLES, scale: Scale = Scale()) -> dict:
    """Each H in its own process (a fresh JVM and Python workers per figure)."""
    for m in multiples:  # build the cached lakes first, so their cost is not in any figure
        if m:
            subprocess.run([sys.executable, "-m", "bench.bench_refresh", "--build", str(m), *scale.args()],
                           check=True, cwd=ROOT)
    results = {}
    for m in multiples:
        load = os.getloadavg()
        proc = subprocess.run([sys.executable, "-m", "bench.bench_refresh", "--measure", str(m), *scale.args()],
                              cwd=ROOT, capture_output=True, text=True, check=True)
        res = json.loads(proc.stdout.strip().splitlines()[-1])
        res["load_avg_before"] = load
        results[f"H={m}x"] = res
        print(f"  H={m}x: {res['refresh_seconds']} s {json.dumps(res['stages'])}", flush=True)
    low = results[f"H={multiples[0]}x"]
    out = {
        "increment": f"one GENERATED WET file, {scale.increment_docs} documents (etl/synth/neardup.py, odd half)",
        "history": "one real refresh of the even half, copied with fresh ids and LSH buckets; filters off",
        "runs": results,
        "input_bytes_per_stage": {h: {stage: r["stages"][stage]["input_bytes"] for stage in r["stages"]}
                                  for h, r in results.items()},
    }
    for m in multiples[1:]:
        out[f"refresh.cost_growth_{m}x"] = round(results[f"H={m}x"]["refresh_seconds"] / low["refresh_seconds"], 3)
    out["noop_refresh_seconds_at_largest"] = results[f"H={multiples[-1]}x"]["noop_refresh_seconds"]
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_refresh",
        description="A fixed increment refreshed into lakes of H times its size (writes JSON to stdout).")
    parser.add_argument("--multiples", default=",".join(map(str, MULTIPLES)),
                        help="history sizes H, comma-separated, the first the baseline (default %(default)s)")
    parser.add_argument("--increment-docs", type=int, default=INCREMENT_DOCS,
                        help="documents in the increment (and in the base of the history; default %(default)s)")
    parser.add_argument("--cache", type=Path, default=CACHE, help="inputs and history lakes (default %(default)s)")
    parser.add_argument("--build", type=int, metavar="H", help="only build the cached history lake of H copies")
    parser.add_argument("--measure", type=int, metavar="H", help="only measure one refresh into H copies")
    args = parser.parse_args(argv)
    scale = Scale(args.increment_docs, args.cache)
    if args.build is not None:
        build_history(args.build, scale)
    elif args.measure is not None:
        print(json.dumps(measure(args.measure, scale), default=str))
    else:
        multiples = tuple(int(m) for m in args.multiples.split(",") if m.strip())
        print(json.dumps(run(multiples, scale), indent=2, default=str))


if __name__ == "__main__":
    main()
