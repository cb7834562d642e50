"""Command-line plumbing shared by every job: the common arguments, config loading, the session, exit codes.

Exit codes (the contract every job keeps; README "Jobs"): 0 success (also when bad input was quarantined), 2 bad
arguments or config (one line naming the problem), 1 failure.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
import traceback
from typing import Callable

from etl import __version__
from etl.config import BOOL_FORMS, ConfigError, PipelineConfig, config_as_dict, load_config
from etl.preflight import PreflightError
from etl.presets import config_paths
from etl.tables import SchemaDrift

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
VERBOSE_CONSOLE_LEVEL = "ALL"  # --verbose: the console shows what spark.log_level lets through, as the log file does
_INVOKED_AS: list[str] = []  # "cc-etl <job>" while the dispatcher runs a job (see invoked_as)
_OWNED: list = []  # sessions session() built for the running job; run_job stops them before it returns


class UsageError(Exception):
    """Bad arguments discovered after parsing (e.g. no input files); exit code 2."""


def invoked_name(prog: str) -> str:
    """The job's name as it was invoked: `cc-etl export` under the dispatcher, else ``prog``."""
    return _INVOKED_AS[-1] if _INVOKED_AS else prog


def base_parser(prog: str, description: str, epilog: str) -> argparse.ArgumentParser:
    """The arguments every job takes; usage lines name the job as it was invoked (`cc-etl export`, or `export`)."""
    parser = argparse.ArgumentParser(
        prog=invoked_name(prog), description=description, epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lake", help="lake root directory or URI (default: 'lake', or the config file's value)")
    parser.add_argument("--config", help="TOML/YAML config file (over a --preset); --set and flags override it")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override any config key, e.g. --set ingest.files_per_batch=8 (repeatable); lists as "
                             f"a,b or [a,b], booleans as {BOOL_FORMS}")
    parser.add_argument("--master", help="Spark master for a local run (ignored when a session exists)")
    parser.add_argument("--print-config", action="store_true",
                        help="print the effective config (defaults < file < --set < flags) as JSON and exit")
    parser.add_argument("--verbose", action="store_true",
                        help="show Spark's warnings on the console too (they always go to its log file)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


@contextlib.contextmanager
def invoked_as(prog: str):
    """Usage lines and --version name the job as ``prog`` (the `cc-etl` dispatcher's `cc-etl export`)."""
    _INVOKED_AS.append(prog)
    try:
        yield
    finally:
        _INVOKED_AS.pop()


def config_from_args(args: argparse.Namespace, extra: dict | None = None) -> PipelineConfig:
    """The effective config (defaults < --preset < --config < --set < flags); with --print-config it is printed and
    the job ends here (exit 0, no Spark)."""
    overrides = {"lake": args.lake, "spark.master": args.master,
                 "spark.console_log_level": VERBOSE_CONSOLE_LEVEL if getattr(args, "verbose", False) else None}
    overrides.update(extra or {})
    cfg = load_config(config_paths(getattr(args, "preset", None), args.config), overrides=overrides, sets=args.set)
    if getattr(args, "print_config", False):
        print(json.dumps(config_as_dict(cfg), indent=2, sort_keys=True))
        raise SystemExit(EXIT_OK)
    return cfg


def session(cfg: PipelineConfig, delta: bool = True):
    """The job's SparkSession (checked for Delta unless `delta` is False); prints where its UI is, if it has one.

    A lake path that is a file is refused first (exit 2), before Spark starts.
    """
    from etl.preflight import check_lake_path
    from etl.spark import classic_context, get_spark, require_delta, session_log_file

    if delta:
        check_lake_path(cfg.lake)
    ours = _builds_session()
    spark = get_spark(cfg.spark)
    if ours:
        _OWNED.append(spark)
    if delta:
        require_delta(spark)
    context = classic_context(spark)
    url = context.uiWebUrl if context is not None else None
    if url:  # None when the UI is off (spark.ui_enabled=false) and on Spark Connect
        print(f"spark UI: {url}", file=sys.stderr, flush=True)
    log = session_log_file(spark) if ours else None
    if log:
        print(f"spark log: {log}", file=sys.stderr, flush=True)
    return spark


def _builds_session() -> bool:
    """True when the job will build its own session (none is active and no platform provides one), so it stops it."""
    from pyspark.sql import SparkSession

    from etl.spark import on_databricks

    return SparkSession.getActiveSession() is None and not on_databricks()


def stop_sessions() -> None:
    """Stop the sessions this process built for a job (a notebook's, a test's or Databricks' are left running)."""
    while _OWNED:
        _OWNED.pop().stop()


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
    finally:  # before the job returns: no JVM outlives it, printing its shutdown after the summary
        stop_sessions()
    for line in lines:
        print(line)
    print(f"{name}: done in {time.perf_counter() - t0:.1f}s")
    return EXIT_OK
