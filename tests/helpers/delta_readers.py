"""Read every Delta table of a lake with delta-rs (the `deltalake` package), as Polars and pandas users do."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

DELTA_LOG = "_delta_log"
# In a child process: deltalake 1.6.6 sometimes aborts in its runtime's teardown when the interpreter exits
# ("terminate called without an active exception"), so the child reports first and leaves with os._exit.
READ_SCRIPT = r"""
import json, os, sys
from deltalake import DeltaTable
rows = {}
for path in sys.argv[1:]:
    try:
        rows[path] = DeltaTable(path).to_pyarrow_table().num_rows
    except Exception as exc:
        rows[path] = "error: " + (str(exc).strip().splitlines() or [type(exc).__name__])[0]
print(json.dumps(rows), flush=True)
os._exit(0)
"""
TIMEOUT_S = 300


def lake_tables(lake: str) -> list[str]:
    """Names (`gold/documents`) of the Delta tables under a local lake root, found by their logs."""
    root = Path(lake)
    return sorted(str(log.parent.relative_to(root)) for log in root.rglob(DELTA_LOG) if log.is_dir())


def delta_rs_rows(lake: str) -> dict[str, int | str]:
    """{table name: rows delta-rs reads, or "error: ..."} for every table of the lake."""
    names = lake_tables(lake)
    result = subprocess.run([sys.executable, "-c", READ_SCRIPT, *(str(Path(lake) / n) for n in names)],
                            capture_output=True, text=True, timeout=TIMEOUT_S)
    rows = json.loads(result.stdout.strip().splitlines()[-1])
    return {name: rows[str(Path(lake) / name)] for name in names}
