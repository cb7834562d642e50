"""Built lakes shared between tests (the session fixtures are in tests/conftest.py): what one holds, and a cheap
private copy for a test that must change a lake."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# The bundled sample (data/sample, every file), refreshed once per session by tests/conftest.py's sample_lake with
# the default config, as `make run` does, plus a metastore schema so registration is exercised (tests/test_catalog.py).
SAMPLE = ROOT / "data" / "sample"
SAMPLE_SCHEMA = "cc_etl_sample"


@dataclass(frozen=True)
class BuiltLake:
    """A lake a refresh built: its config, the RefreshSummary and every progress line the refresh printed."""

    cfg: Any
    summary: Any
    lines: tuple[str, ...]

    @property
    def lake(self) -> str:
        return self.cfg.lake


def copy_lake(src: str, dest: Path) -> str:
    """A private copy of a built lake (Delta's log holds paths relative to the table, so the copy is a lake)."""
    shutil.copytree(src, dest)
    return str(dest)
