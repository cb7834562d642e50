"""Widget defaults for the notebooks that are right both on Databricks and on a laptop.

Relative paths would resolve against the notebook's own folder (``notebooks/data/sample``), and a driver-local
``/tmp`` lake on Databricks vanishes with the cluster. So: the sample is found from the checkout's root wherever the
notebook runs, and on Databricks the lake and report go to a Unity Catalog volume, which outlives clusters and is
readable from every compute type (serverless and shared included).
"""

from __future__ import annotations

from pathlib import Path

from etl.spark import on_databricks

# Unity Catalog's default catalog and schema, and a volume for this project: create it once with
# CREATE VOLUME IF NOT EXISTS main.default.cc_etl  (or change the widgets).
DATABRICKS_VOLUME = "/Volumes/main/default/cc_etl"
NOTEBOOKS_DIR = "notebooks"


def repo_root(cwd: Path | None = None) -> Path:
    """The checkout's root: the parent of ``notebooks/`` when run from there (Databricks Git folders), else cwd."""
    cwd = Path.cwd() if cwd is None else cwd
    return cwd.parent if cwd.name == NOTEBOOKS_DIR else cwd


def widget_defaults(cwd: Path | None = None, databricks: bool | None = None) -> dict[str, str]:
    """``inputs``, ``lake`` and ``report_dir`` defaults, as absolute paths."""
    root = repo_root(cwd)
    inputs = str(root / "data" / "sample")
    if on_databricks() if databricks is None else databricks:
        return {"inputs": inputs, "lake": f"{DATABRICKS_VOLUME}/lake", "report_dir": f"{DATABRICKS_VOLUME}/report"}
    return {"inputs": inputs, "lake": str(root / "lake"), "report_dir": str(root / "reports" / "run")}
