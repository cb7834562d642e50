"""`housekeeping` / `cc-etl housekeeping`: OPTIMIZE + VACUUM of the lake's tables (the logic is etl.housekeeping)."""

from __future__ import annotations

from etl.cli.common import UsageError, base_parser, config_from_args, run_job, session
from etl.housekeeping import (DEFAULT_PARALLELISM, DEFAULT_RETENTION_HOURS, HOUSEKEPT_TABLES, ZORDER_COLUMNS,
                              RetentionError, UnreadFilesError, run_housekeeping)

HOUSEKEEPING_EPILOG = """examples:
  python jobs/housekeeping.py --lake lake
  python jobs/housekeeping.py --lake lake --dry-run
  python jobs/housekeeping.py --lake lake --zorder --tables gold/documents
  python jobs/housekeeping.py --lake lake --retention-hours 24 --force   # only when nothing else reads the lake
  # weekly, Sunday 04:00, after the nightly refresh:
  0 4 * * 0  cd /opt/cc-etl && .venv/bin/python jobs/housekeeping.py --lake /data/lake >> housekeeping.log 2>&1

Changes no rows. Files removed by VACUUM can no longer be read with time travel (versionAsOf); a VACUUM that would
delete files silver or gold has not read yet is refused (exit 2) unless --force."""


def housekeeping_main(argv: list[str] | None = None) -> int:
    parser = base_parser("housekeeping", "Compact small files (OPTIMIZE) and delete unreferenced ones (VACUUM) "
                         "in every table of the lake.", HOUSEKEEPING_EPILOG)
    parser.add_argument("--tables", help="comma-separated table names (default: all); known: "
                        + ", ".join(HOUSEKEPT_TABLES))
    parser.add_argument("--retention-hours", type=float, default=DEFAULT_RETENTION_HOURS,
                        help=f"VACUUM keeps files removed less than this long ago (default {DEFAULT_RETENTION_HOURS:g})")
    parser.add_argument("--force", action="store_true",
                        help="allow a retention below the tables' delta.deletedFileRetentionDuration (default 1 week), "
                        "and a VACUUM of files a stage has not read yet")
    parser.add_argument("--zorder", action="store_true",
                        help="Z-order by lookup key (" + ", ".join(f"{t}: {', '.join(c)}" for t, c in
                                                            ZORDER_COLUMNS.items())
                        + "; rewrites those tables)")
    parser.add_argument("--no-optimize", dest="optimize", action="store_false", help="VACUUM only")
    parser.add_argument("--no-vacuum", dest="vacuum", action="store_false", help="OPTIMIZE only")
    parser.add_argument("--dry-run", action="store_true", help="change nothing; report what VACUUM would delete")
    parser.add_argument("--parallelism", type=int, default=DEFAULT_PARALLELISM,
                        help=f"tables housekept at once (default {DEFAULT_PARALLELISM})")
    args = parser.parse_args(argv)

    def body() -> list[str]:
        from etl import tables
        from etl.heartbeat import Heartbeat

        if args.retention_hours < 0:
            raise UsageError("--retention-hours must be >= 0")
        if args.parallelism < 1:
            raise UsageError("--parallelism must be >= 1")
        names = HOUSEKEPT_TABLES
        if args.tables:
            names = tuple(n.strip() for n in args.tables.split(",") if n.strip())
            unknown = sorted(set(names) - set(HOUSEKEPT_TABLES))
            if unknown:
                raise UsageError(f"unknown table(s) {', '.join(unknown)}; known: {', '.join(HOUSEKEPT_TABLES)}")
        cfg = config_from_args(args)
        spark = session(cfg)
        if not any(tables.exists(spark, cfg.lake, name) for name in names):
            raise UsageError(f"no Delta tables under {cfg.lake}")
        try:  # a line per table as it is done, and a heartbeat while one is slow
            with Heartbeat(lambda line: print(line, flush=True), spark) as beat:
                return [run_housekeeping(spark, cfg.lake, names, args.retention_hours, args.force, args.zorder,
                                         args.optimize, args.vacuum, args.dry_run, beat,
                                         args.parallelism).total()]
        except (RetentionError, UnreadFilesError) as exc:
            raise UsageError(str(exc)) from None

    return run_job("housekeeping", body)
