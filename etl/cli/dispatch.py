"""`cc-etl <job> ...`: the wheel's single entry point (used by Databricks jobs and cron), one name per job."""

from __future__ import annotations

import sys

from etl import __version__
from etl.cli.common import EXIT_OK, EXIT_USAGE, invoked_as
from etl.cli.export import export_main
from etl.cli.gold import gold_main
from etl.cli.housekeeping import housekeeping_main
from etl.cli.ingest import ingest_main
from etl.cli.refresh import refresh_main
from etl.cli.silver import silver_main
from etl.cli.train_domains import train_domains_main
from etl.cli.train_quality import train_quality_main
from etl.cli.train_toxicity import train_main
from etl.cli.train_toxicity_embedding import train_embedding_main

JOBS = {"ingest": ingest_main, "silver": silver_main, "gold": gold_main, "refresh": refresh_main,
        "housekeeping": housekeeping_main, "train-toxicity": train_main, "train-quality": train_quality_main,
        "train-domains": train_domains_main, "train-toxicity-embedding": train_embedding_main,
        "export": export_main}


def main(argv: list[str] | None = None) -> int:
    """Run the job named by the first argument with the rest; exit code 2 for an unknown job."""
    argv = list(sys.argv[1:] if argv is None else argv)
    names = ", ".join(sorted(JOBS))
    if argv and argv[0] == "--version":
        print(f"cc-etl {__version__}")
        return EXIT_OK
    if argv and argv[0] not in JOBS and argv[0] not in ("-h", "--help"):
        print(f"cc-etl: unknown job {argv[0]!r} (known: {names})", file=sys.stderr)
        return EXIT_USAGE
    if not argv or argv[0] in ("-h", "--help"):
        print(f"usage: cc-etl {{{names}}} [options]   (cc-etl <job> --help for each)")
        return EXIT_OK if argv else EXIT_USAGE
    with invoked_as(f"cc-etl {argv[0]}"):
        return JOBS[argv[0]](argv[1:])
