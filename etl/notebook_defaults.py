"""What the notebooks share: widget defaults that are right on Databricks and on a laptop, the Unity Catalog volume
they write to, and their config (preset, then config file, as the jobs' --preset and --config).

Relative paths would resolve against the notebook's own folder (``notebooks/data/sample``), and a driver-local
``/tmp`` lake on Databricks vanishes with the cluster. So: the sample is the checkout's ``data/sample`` when the
notebook runs from a Git folder of this repository, else the copy inside the installed package
(``etl/resources/sample``, the same files); on Databricks the lake and report go to a Unity Catalog volume, which
outlives clusters and is readable from every compute type (serverless and shared included).
"""

from __future__ import annotations

import os
from pathlib import Path

from etl import bundled
from etl.config import PipelineConfig, load_config
from etl.presets import config_paths
from etl.spark import on_databricks

# Unity Catalog's default catalog and schema, and a volume for this project: the notebooks create it when it is
# missing (ensure_volume), or use the lake and report widgets to point at another volume.
DATABRICKS_VOLUME = "/Volumes/main/default/cc_etl"
VOLUMES_ROOT = "/Volumes"
NOTEBOOKS_DIR = "notebooks"
SAMPLE_DIR = ("data", "sample")  # in a checkout


class VolumeError(RuntimeError):
    """The Unity Catalog volume a path lies in neither exists nor can be created; the message says what to do."""


def repo_root(cwd: Path | None = None) -> Path:
    """The checkout's root: the parent of ``notebooks/`` when run from there (Databricks Git folders), else cwd."""
    cwd = Path.cwd() if cwd is None else cwd
    return cwd.parent if cwd.name == NOTEBOOKS_DIR else cwd


def bundled_sample() -> Path:
    """The sample WET files inside the installed package (a wheel installed with %pip carries them)."""
    return Path(str(bundled.resource(bundled.SAMPLE)))


def sample_inputs(cwd: Path | None = None) -> str:
    """The checkout's data/sample when there is one (a Git folder), else the package's bundled copy."""
    checkout = repo_root(cwd).joinpath(*SAMPLE_DIR)
    return str(checkout if checkout.is_dir() else bundled_sample())


def widget_defaults(cwd: Path | None = None, databricks: bool | None = None) -> dict[str, str]:
    """``inputs``, ``lake`` and ``report_dir`` defaults, as absolute paths."""
    root = repo_root(cwd)
    inputs = sample_inputs(cwd)
    if on_databricks() if databricks is None else databricks:
        return {"inputs": inputs, "lake": f"{DATABRICKS_VOLUME}/lake", "report_dir": f"{DATABRICKS_VOLUME}/report"}
    return {"inputs": inputs, "lake": str(root / "lake"), "report_dir": str(root / "reports" / "run")}


def volume_of(path: str) -> tuple[str, str, str] | None:
    """(catalog, schema, volume) of a /Volumes/<catalog>/<schema>/<volume>/... path; None for any other path."""
    parts = Path(path).parts
    if len(parts) < 5 or parts[:2] != ("/", VOLUMES_ROOT.strip("/")):
        return None
    return parts[2], parts[3], parts[4]


def ensure_volume(spark, path: str) -> str | None:
    """Create the Unity Catalog volume ``path`` lies in if it does not exist (CREATE VOLUME IF NOT EXISTS); returns
    its name, or None for a path outside /Volumes. VolumeError, naming the volume and what to do, when it is
    missing and cannot be created (no CREATE VOLUME privilege on the schema, or no such catalog or schema)."""
    parts = volume_of(path)
    if parts is None:
        return None
    name = ".".join(f"`{p.replace('`', '``')}`" for p in parts)
    try:
        spark.sql(f"CREATE VOLUME IF NOT EXISTS {name}")
    except Exception as exc:  # the volume may still exist: creating needs more rights than using
        if os.path.isdir(os.path.join(VOLUMES_ROOT, *parts)):
            return ".".join(parts)
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise VolumeError(
            f"the Unity Catalog volume {'.'.join(parts)} (for {path}) does not exist and could not be created: "
            f"{first}. Ask an admin to run CREATE VOLUME {'.'.join(parts)} (or grant you CREATE VOLUME on "
            f"{'.'.join(parts[:2])}), or set the lake and report widgets to a volume you can write") from None
    return ".".join(parts)


def notebook_config(lake: str, preset: str = "", config: str = "") -> PipelineConfig:
    """The notebooks' config: defaults < preset < config file, with the lake widget's value (as the jobs do)."""
    return load_config(config_paths(preset.strip() or None, config.strip() or None), overrides={"lake": lake})
