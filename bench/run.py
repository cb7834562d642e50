"""`make bench`: every benchmark part in one run, written to reports/bench.json.

Each part compares us with a peer measured in the same run on the same data (ratios, never absolute targets), and
records the machine and its load, because on a shared 2-core box absolute numbers move. A part that fails is
recorded with its error instead of stopping the others.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "reports" / "bench.json"


def _machine() -> dict:
    return {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "load_avg_at_start": os.getloadavg()}


def _part(name: str, fn) -> dict:
    print(f"bench: {name} ...", flush=True)
    t0 = time.perf_counter()
    try:
        out = fn()
    except Exception as exc:  # keep going; the report says what failed
        traceback.print_exc()
        out = {"error": f"{type(exc).__name__}: {exc}"}
    out["bench_seconds"] = round(time.perf_counter() - t0, 1)
    out["load_avg_after"] = os.getloadavg()
    print(json.dumps(out, indent=2, default=str), flush=True)
    return out


SCALE_SIZES = (100_000, 1_000_000)  # `make bench-scale`: the dedup cost growth to a million documents


def _silver_parts(report: dict) -> None:
    from bench import bench_quality, bench_silver

    quality = _part("silver.quality", bench_quality.run)
    silver = _part("silver.signals", bench_silver.run)
    report["silver"] = {
        "ratio_vs_datatrove": quality.get("ratio_vs_datatrove"),
        "quality_signals_vs_datatrove": quality,
        **{k: v for k, v in silver.items() if not k.startswith("header_skip")},
    }
    report["langid"] = {
        "ms_per_doc": silver.get("langid_ms_per_doc"),
        "header_skip_saving": silver.get("header_skip_arabic_profile_on_generated_arabic_set", {}).get("saving"),
        "header_skip_on_generated_arabic_set": silver.get("header_skip_arabic_profile_on_generated_arabic_set"),
        "header_skip_on_real_sample_without_arabic": silver.get("header_skip_arabic_profile_on_real_sample"),
    }


def _dedup_part(report: dict, scale: bool) -> None:
    from bench import bench_dedup

    if scale:  # ours alone (MLlib and datasketch are compared by `make bench`); keeps that comparison
        result = _part("dedup.scale", lambda: bench_dedup.run(SCALE_SIZES, skew_copies=0, peers_max=0))
        report.setdefault("dedup", {})["scale"] = result
        report["dedup"]["dedup.cost_per_doc_growth_100k_to_1m"] = result.get("dedup.cost_per_doc_growth_100k_to_1m")
    else:
        scale_part = report.get("dedup", {}).get("scale")
        report["dedup"] = _part("dedup", bench_dedup.run)
        if scale_part:
            report["dedup"]["scale"] = scale_part
            report["dedup"]["dedup.cost_per_doc_growth_100k_to_1m"] = scale_part.get(
                "dedup.cost_per_doc_growth_100k_to_1m")


PARTS = ("ingest", "silver", "urls", "minhash", "dedup", "refresh", "housekeeping", "run", "pipeline", "privacy")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the benchmarks and write reports/bench.json.")
    parser.add_argument("--only", nargs="+", choices=PARTS, help="run these parts and keep the others' last results")
    parser.add_argument("--scale", action="store_true",
                        help=f"dedup at {SCALE_SIZES[0]:,} and {SCALE_SIZES[1]:,} documents only (the cost growth)")
    parser.add_argument("--privacy-docs", type=int, default=None,
                        help="generated documents for the decontamination join (default: bench_privacy's; the "
                             "issue's target is 1000000)")
    parser.add_argument("--pipeline-mb", type=float, default=None,
                        help="uncompressed MB of generated WET for the pipeline part (default: bench_pipeline's)")
    args = parser.parse_args(argv)
    parts = ["dedup"] if args.scale else (args.only or list(PARTS))
    report: dict = json.loads(REPORT.read_text()) if REPORT.exists() and len(parts) < len(PARTS) else {}
    report.update({"generated_at": datetime.now(timezone.utc).isoformat(), "machine": _machine()})
    if "ingest" in parts:
        from bench import bench_ingest

        report["ingest"] = _part("ingest", bench_ingest.run)
    if "silver" in parts:
        _silver_parts(report)
    if "urls" in parts:  # URL block-list lookup with no list, the bundled UT1 lists and 5M generated domains
        from bench import bench_urls

        report["urls"] = _part("urls", bench_urls.run)
    if "minhash" in parts:
        from bench import bench_minhash

        report["minhash"] = _part("minhash", bench_minhash.run)
    if "dedup" in parts:
        _dedup_part(report, args.scale)
    if "refresh" in parts:
        from bench import bench_refresh

        report["refresh"] = _part("refresh", bench_refresh.run)
    if "housekeeping" in parts:  # OPTIMIZE + VACUUM of a 200,000-document lake (the refresh bench's 100x history)
        from bench import bench_housekeeping

        report["housekeeping"] = _part("housekeeping", bench_housekeeping.run)
    if "run" in parts:  # `make run` in its own process, and a refresh with nothing new
        from bench import bench_run

        report["run"] = _part("run", bench_run.run)
    if "pipeline" in parts:  # end to end against datatrove on the same generated WET files
        from bench import bench_pipeline

        report["pipeline"] = _part("pipeline", lambda: bench_pipeline.run(args.pipeline_mb))
    if "privacy" in parts:  # PII cost per document vs datatrove's PIIFormatter; the decontamination join
        from bench import bench_privacy

        docs = args.privacy_docs or bench_privacy.DEFAULT_DOCS
        report["privacy"] = _part("privacy", lambda: bench_privacy.run(docs))
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2, default=str))
    print(f"bench: wrote {REPORT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
