"""Checks that run before Spark starts: inputs that exist and a lake that can be written.

A typo'd input path or a read-only lake fails in a second with one line naming the path, instead of minutes later
inside a Spark job (or, for a missing input, silently on every scheduled run).
"""

from __future__ import annotations

import os
import tempfile

from etl.config import IngestConfig
from etl.io.sources import RetryPolicy, expand_inputs, has_scheme, local_path


class PreflightError(ValueError):
    """Inputs or lake unusable; the message names the path and what to do (exit code 2)."""


def check_inputs(inputs: list[str], cfg: IngestConfig) -> list[str]:
    """The input files, expanded; PreflightError when none are found or some do not exist (unless allowed)."""
    policy = RetryPolicy.from_config(cfg)
    unmatched: list[str] = []
    try:
        files = expand_inputs(inputs, cfg.manifest_prefix, policy, unmatched)
    except (OSError, UnicodeDecodeError) as exc:  # an unreadable manifest
        raise PreflightError(f"cannot read the input list: {exc}") from None
    if unmatched and not cfg.allow_missing_inputs:
        raise PreflightError("input not found: " + "; ".join(unmatched)
                             + " (pass --set ingest.allow_missing_inputs=true to log missing files and retry them "
                               "on later runs)")
    if not files:
        raise PreflightError(f"no input files found in {' '.join(inputs)}")
    return files


def check_lake_path(lake: str) -> None:
    """A local lake path that is a file, or lies under one, is refused (every job, before Spark starts); nothing
    is created."""
    if has_scheme(lake):
        return
    path = os.path.abspath(local_path(lake))
    existing = path
    while not os.path.exists(existing) and os.path.dirname(existing) != existing:
        existing = os.path.dirname(existing)
    if os.path.exists(existing) and not os.path.isdir(existing):
        where = "is a file" if existing == path else f"lies under {existing}, which is a file"
        raise PreflightError(f"the lake {path} {where}, not a directory: give --lake a directory")


def check_lake(lake: str) -> None:
    """A local lake directory must be creatable and writable (remote lakes are checked by their first write)."""
    if has_scheme(lake):
        return
    check_lake_path(lake)
    path = local_path(lake)
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-check-"):
            pass
    except OSError as exc:
        raise PreflightError(f"cannot write to the lake at {path}: {exc.strerror or exc}") from None
