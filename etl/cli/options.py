"""Arguments that several pipeline jobs share: the input list, the language profile and config presets."""

from __future__ import annotations

import argparse

from etl.cli.common import config_from_args
from etl.config import PipelineConfig

ALLOW_MISSING_HELP = ("log inputs that do not exist (yet) as unreachable and retry them on later runs, "
                      "instead of stopping with exit code 2")


def add_profile_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--languages", help="comma-separated language profile, e.g. 'ar' or 'en,de' (default: all)")
    parser.add_argument("--preset", help="a shipped config preset, e.g. 'arabic' (etl/presets/NAME.toml); a --config "
                                         "file applies over it, --set over both")


def input_overrides(args: argparse.Namespace) -> dict:
    return {"ingest.allow_missing_inputs": True if getattr(args, "allow_missing_inputs", False) else None}


def _profile_overrides(args: argparse.Namespace) -> dict:
    langs = [code.strip() for code in args.languages.split(",") if code.strip()] if args.languages else None
    return {"silver.languages": langs, "catalog": getattr(args, "catalog", None),
            "schema": getattr(args, "schema", None), **input_overrides(args)}


def profile_config(args: argparse.Namespace) -> PipelineConfig:
    """Config from --preset, then --config, then --set and --languages (silver, gold and refresh)."""
    return config_from_args(args, _profile_overrides(args))


def preflight(cfg: PipelineConfig, inputs: list[str]) -> list[str]:
    """The input files, expanded once; inputs and lake checked before Spark starts (seconds to a clear error)."""
    from etl.preflight import check_inputs, check_lake

    files = check_inputs(inputs, cfg.ingest)
    check_lake(cfg.lake)
    return files
