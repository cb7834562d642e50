"""Command-line plumbing shared by every job: the common arguments, config loading, the session, exit codes.

Exit codes (the contract in DESIGN.md): 0 success (also when bad input was quarantined), 2 bad arguments or config
(one line naming the problem), 1 failure.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from typing import Callable

from etl import __version__
from etl.config import ConfigError, PipelineConfig, config_as_dict, load_config
from etl.preflight import PreflightError
from etl.tables import SchemaDrift

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad arguments discovered after parsing (e.g. no input files); exit code 2."""


def base_parser(prog: str, description: str, epilog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description=description, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lake", help="lake root directory or URI (default: 'lake', or the config file's value)")
    parser.add_argument("--config", help="TOML/YAML config file; flags override it")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override any config key, e.g. --set ingest.files_per_batch=8 (repeatable)")
    parser.add_argument("--master", help="Spark master for a local run (ignored when a session exists)")
    parser.add_argument("--print-config", action="store_true",
                        help="print the effective config (defaults < file < --set < flags) as JSON and exit")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def config_from_args(args: argparse.Namespace, extra: dict | None = None) -> PipelineConfig:
    """The effective config; with --print-config it is printed and the job ends here (exit 0, no Spark)."""
    overrides = {"lake": args.lake, "spark.master": args.master}
    overrides.update(extra or {})
    cfg = load_config(args.config, overrides=overrides, sets=args.set)
    if getattr(args, "print_config", False):
        print(json.dumps(config_as_dict(cfg), indent=2, sort_keys=True))
        raise SystemExit(EXIT_OK)
    return cfg


def session(cfg: PipelineConfig, delta: bool = True):
    """The job's SparkSession (checked for Delta unless `delta` is False); prints where its UI is, if it has one."""
    from etl.spark import classic_context, get_spark, require_delta

    spark = get_spark(cfg.spark)
    if delta:
        require_delta(spark)
    context = classic_context(spark)
    url = context.uiWebUrl if context is not None else None
    if url:  # None when the UI is off (spark.ui_enabled=false) and on Spark Connect
        print(f"spark UI: {url}", file=sys.stderr, flush=True)
    return spark


def require_table(spark, cfg: PipelineConfig, name: str, hint: str) -> None:
    from etl import tables

    if not tables.exists(spark, cfg.lake, name):
        raise UsageError(f"no {name} table under {cfg.lake}: {hint}")


def run_job(name: str, body: Callable[[], list[str]]) -> int:
    """Run a job body, print its summary lines, map errors to exit codes."""
    t0 = time.perf_counter()
    try:
        lines = body()
    except (ConfigError, UsageError, PreflightError, SchemaDrift) as exc:
        print(f"{name}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        return EXIT_FAILURE
    except Exception as exc:
        traceback.print_exc()
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"{name}: failed: {first}", file=sys.stderr)
        return EXIT_FAILURE
    for line in lines:
        print(line)
    print(f"{name}: done in {time.perf_counter() - t0:.1f}s")
    return EXIT_OK
