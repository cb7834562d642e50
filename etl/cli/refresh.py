"""`refresh` / `cc-etl refresh`: the scheduled run, ingest -> silver -> gold on what is new, then the report."""

from __future__ import annotations

from etl.cli.common import base_parser, run_job, session
from etl.cli.options import ALLOW_MISSING_HELP, add_profile_args, preflight, profile_config

REFRESH_EPILOG = """examples:
  python jobs/refresh.py --input data/sample --lake lake --report reports/run
  python jobs/refresh.py --input 'crawl/*.wet.gz' --lake lake --preset arabic
  python jobs/refresh.py --input data/arabic_sample/GENERATED-arabic-11-000.warc.wet.gz --lake lake-arabic \
    --preset arabic --set silver.url_blocklist=data/arabic_sample/GENERATED-arabic-11-blocklist.txt  # make run-arabic
  python jobs/refresh.py --input /Volumes/main/cc/wet --lake abfss://lake@acct.dfs.core.windows.net/cc \\
    --catalog main --schema cc
  # cron, every night at 02:00:
  0 2 * * *  cd /opt/cc-etl && .venv/bin/python jobs/refresh.py --input /data/wet --lake /data/lake >> refresh.log 2>&1

Processes only what is new since the last run, exactly once; a refresh with nothing new changes nothing."""


def refresh_main(argv: list[str] | None = None) -> int:
    parser = base_parser("refresh", "Scheduled refresh: ingest new WET files, score them, decide and dedup "
                         "them against the lake's history.", REFRESH_EPILOG)
    parser.add_argument("--input", nargs="+", required=True, metavar="PATH",
                        help="WET files, directories, globs, manifests or URLs, local or on any Hadoop filesystem "
                             "(already-ingested files are skipped)")
    parser.add_argument("--report", metavar="DIR", help="write the run report (HTML, PNG charts, dataset card) here")
    parser.add_argument("--schema", help="also register every table in the metastore as SCHEMA.bronze_documents, ... "
                                         "(Spark's session catalog, or Unity Catalog on Databricks)")
    parser.add_argument("--catalog", help="the catalog for --schema (Unity Catalog), e.g. 'main'")
    parser.add_argument("--allow-missing-inputs", action="store_true", help=ALLOW_MISSING_HELP)
    add_profile_args(parser)
    args = parser.parse_args(argv)

    def body() -> list[str]:
        from etl.pipeline import refresh

        cfg = profile_config(args)
        files = preflight(cfg, args.input)  # a manifest is downloaded once, here
        spark = session(cfg)
        summary = refresh(spark, cfg, files)
        lines = summary.lines()
        if not args.report:
            return lines
        from etl.report import write_report

        for line in lines:  # the summary first: the report reads the whole lake and takes a while
            print(line, flush=True)
        print(f"report: writing {args.report} ...", flush=True)
        paths = write_report(spark, cfg, args.report, summary)
        return [f"report: {paths['html']}"]

    return run_job("refresh", body)
