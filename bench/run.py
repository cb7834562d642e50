"""`make bench`: every benchmark part in one run, written to reports/bench.json.

Each part compares us with a peer measured in the same run on the same data (ratios, never absolute targets), and
records the machine and its load, because on a shared 2-core box absolute numbers move. A part that fails is
recorded with its error instead of stopping the others.
"""

from __future__ import annotations

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


def main(argv: list[str] | None = None) -> int:
    args = set(argv if argv is not None else sys.argv[1:])
    from bench import bench_ingest, bench_minhash, bench_quality, bench_silver

    report: dict = {"generated_at": datetime.now(timezone.utc).isoformat(), "machine": _machine()}
    report["ingest"] = _part("ingest", bench_ingest.run)
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
    report["minhash"] = _part("minhash", bench_minhash.run)
    try:
        from bench import bench_dedup
    except ImportError as exc:
        report["dedup"] = {"error": f"not available: {exc}"}
    else:
        sizes = {"n_docs": 100_000} if "--scale" in args else {}
        report["dedup"] = _part("dedup", lambda: bench_dedup.run(**sizes))
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2, default=str))
    print(f"bench: wrote {REPORT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
