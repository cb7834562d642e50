"""URL block-list lookup at scale: 100k URLs against 0 entries, the ~260k bundled UT1 domains and a GENERATED
list of 5 million domains (the size of UT1 with its adult category), through ``with_domain_lists``.

The 5M list is generated (``d<i>x<hash>.<tld>``, one in ten with a ``www.`` label), written as text by Spark and
read back like a user's list; one URL in ten is planted under a listed domain and the bench checks that exactly
those are flagged. Above ``BROADCAST_MAX_DOMAINS`` the lookup is a shuffle join; the bench also forces the
broadcast path on the 5M list to show why it is not the default (time, driver memory, or it fails).
Run: ``python bench/bench_urls.py``; entry point ``run()``.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pyspark.sql import functions as F  # noqa: E402

from bench.memory import PeakMemory  # noqa: E402

N_URLS = 100_000
N_DOMAINS = 5_000_000  # GENERATED: about UT1's full size with adult (4.6M)
PLANT_EVERY = 10  # one URL in ten is under a listed domain
HASH_MODULUS = 100_003  # spreads the generated names so keys are as distinct as real domains
TLDS = ("com", "net", "org", "xyz", "ru")
WWW_EVERY = 10  # one generated entry in ten is a www. host, as in real lists
SHUFFLE_PARTITIONS = 8  # enough to spread a 5M-row shuffle over 2 cores without tiny tasks
DRIVER_MEMORY = "2g"  # the tests' setting: what a laptop run has
REPEATS = 2  # best of two for the small lists: the first run also warms the JVM


def _spark():
    from etl.config import SparkConfig
    from etl.spark import get_spark

    return get_spark(SparkConfig(master="local[2]", app_name="bench-urls", shuffle_partitions=SHUFFLE_PARTITIONS,
                                 driver_memory=DRIVER_MEMORY))


def _domain(i):
    """Generated domain number ``i`` as a Spark column (the same formula generates the URLs)."""
    tld = F.element_at(F.array(*[F.lit(t) for t in TLDS]), (i % len(TLDS) + 1).cast("int"))
    name = F.concat(F.lit("d"), i.cast("string"), F.lit("x"), ((i * 7919) % HASH_MODULUS).cast("string"))
    www = F.when(i % WWW_EVERY == 0, F.lit("www.")).otherwise(F.lit(""))
    return F.concat(www, name, F.lit("."), tld)


def _write_list(spark, folder: Path) -> str:
    path = str(folder / "generated-5m-domains")
    spark.range(N_DOMAINS).select(_domain(F.col("id")).alias("value")).write.mode("overwrite").text(path)
    return path


def _urls(spark):
    """N_URLS URLs; every PLANT_EVERY-th is a subdomain page of a listed domain, the rest are not listed."""
    ids = spark.range(N_URLS).select(F.col("id").alias("i"))
    planted = (F.col("i") % PLANT_EVERY) == 0
    listed = F.concat(F.lit("https://news."), _domain(F.col("i") * (N_DOMAINS // N_URLS)), F.lit("/a/b?x=1"))
    other = F.concat(F.lit("https://site"), F.col("i").cast("string"), F.lit(".example.org/p"))
    from etl.silver.urls import with_url_signals

    return with_url_signals(ids.select(F.when(planted, listed).otherwise(other).alias("url"))).cache()


def _time(spark, df, repeats: int = REPEATS, **kwargs) -> dict:
    from etl.silver.urls import with_domain_lists

    print(f"bench_urls: {sorted(kwargs) or 'no lists'} ...", file=sys.stderr, flush=True)
    best, flagged, mem = float("inf"), None, None
    for _ in range(repeats):
        with PeakMemory() as peak:
            t0 = time.perf_counter()
            out = with_domain_lists(df, spark, **kwargs)  # includes sizing the list (one job) when needed
            out.write.format("noop").mode("overwrite").save()  # every column, as silver writes them
            elapsed = time.perf_counter() - t0
        if elapsed < best:
            best, mem = elapsed, peak
    flagged = out.where("url_blocklisted").count()  # checked outside the clock
    return {"seconds": round(best, 2), "urls_per_s": round(N_URLS / best), "flagged": flagged,
            "driver_jvm_peak_mb": round(mem.driver_mb)}


def run(force_broadcast: bool = False) -> dict:
    """Seconds and URLs/s of the domain-list lookup with 0, ~260k (bundled) and 5M (generated) entries.

    ``force_broadcast`` also times broadcasting the 5M list, the path the threshold avoids (slow: minutes, and
    a 2g driver spills the 1.1 GB broadcast to disk)."""
    from etl.silver.urls import BROADCAST_MAX_DOMAINS, REFINEDWEB_UT1_CATEGORIES

    spark = _spark()
    folder = Path(tempfile.mkdtemp(prefix="bench-urls-"))
    try:
        t0 = time.perf_counter()
        big = _write_list(spark, folder)
        gen_seconds = time.perf_counter() - t0
        df = _urls(spark)
        df.count()
        expected = N_URLS // PLANT_EVERY
        result = {
            "urls": N_URLS,
            "planted_listed_urls": expected,
            "list_5m": f"GENERATED: {N_DOMAINS:,} domains (written in {gen_seconds:.1f} s)",
            "memory": f"local[2], driver (and in-process executor) JVM heap {DRIVER_MEMORY}; peak RSS sampled "
                      f"from /proc; broadcast up to {BROADCAST_MAX_DOMAINS:,} entries, shuffle join above",
            "entries_0": _time(spark, df),
            "entries_bundled_ut1": _time(spark, df, ut1_categories=REFINEDWEB_UT1_CATEGORIES),
            "entries_5m_shuffle_join": _time(spark, df, 1, blocklist_path=big),
        }
        try:  # the path the threshold avoids: broadcast 5M entries
            if not force_broadcast:
                raise RuntimeError("skipped (run(force_broadcast=True) times it)")
            result["entries_5m_forced_broadcast"] = _time(spark, df, 1, blocklist_path=big,
                                                          broadcast_max_domains=N_DOMAINS * 2)
        except Exception as exc:  # an out-of-memory driver is a result too (or skipped)
            result["entries_5m_forced_broadcast"] = {"error": f"{type(exc).__name__}: {str(exc)[:200]}"}
        assert result["entries_5m_shuffle_join"]["flagged"] == expected, result
        zero = result["entries_0"]["seconds"]
        result["slowdown_5m_vs_0"] = round(result["entries_5m_shuffle_join"]["seconds"] / zero, 2)
        result["slowdown_bundled_vs_0"] = round(result["entries_bundled_ut1"]["seconds"] / zero, 2)
        df.unpersist()
        return result
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
