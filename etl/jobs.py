"""The jobs behind jobs/*.py, notebooks and the `cc-etl` entry point: parse arguments, call one pipeline function."""

from __future__ import annotations

from etl.cli import UsageError, base_parser, config_from_args, run_job

INGEST_EPILOG = """examples:
  python jobs/ingest_wet.py --input data/sample --lake lake
  python jobs/ingest_wet.py --input 'crawl/*.wet.gz' --lake s3a://bucket/lake --set ingest.files_per_batch=256
  python jobs/ingest_wet.py --input wet.paths.gz --manifest-prefix https://data.commoncrawl.org/ --lake lake
  make dist && spark-submit --master spark://host:7077 \\
    --archives dist/etl.zip#etl_pkg --conf spark.executorEnv.PYTHONPATH=etl_pkg \\
    --jars .cache/jars/delta-spark_2.13-4.0.1.jar,.cache/jars/delta-storage-4.0.1.jar \\
    --conf spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension \\
    --conf spark.sql.catalog.spark_catalog=org.apache.spark.sql.delta.catalog.DeltaCatalog \\
    jobs/ingest_wet.py --input data/sample --lake /shared/lake

Files already ingested (per bronze/ingest_log) are skipped, so re-running is safe and adds nothing."""


def ingest_main(argv: list[str] | None = None) -> int:
    parser = base_parser("ingest_wet", "Read Common Crawl WET files into bronze Delta tables, exactly once.",
                         INGEST_EPILOG)
    parser.add_argument("--input", nargs="+", required=True, metavar="PATH",
                        help="WET files, directories, globs, wet.paths(.gz) manifests, http(s):// or s3:// URLs; "
                             "hdfs://, abfss://, gs://, dbfs:/ paths and globs are read by Spark")
    parser.add_argument("--manifest-prefix", help="prefix for relative paths in manifests")
    parser.add_argument("--files-per-batch", type=int, help="files committed together (default 64)")
    parser.add_argument("--allow-missing-inputs", action="store_true", help=ALLOW_MISSING_HELP)
    args = parser.parse_args(argv)

    def body() -> list[str]:
        from etl.bronze.ingest import run_ingest
        from etl.heartbeat import Heartbeat
        from etl.spark import get_spark, require_delta

        cfg = config_from_args(args, {"ingest.manifest_prefix": args.manifest_prefix,
                                      "ingest.files_per_batch": args.files_per_batch, **_input_overrides(args)})
        files = _preflight(cfg, args.input)
        spark = get_spark(cfg.spark)
        require_delta(spark)
        with Heartbeat(print, spark) as beat:
            return run_ingest(spark, cfg, files, beat).lines()

    return run_job("ingest_wet", body)


def _session(cfg):
    from etl.spark import get_spark, require_delta

    spark = get_spark(cfg.spark)
    require_delta(spark)
    return spark


def _require_table(spark, cfg, name: str, hint: str) -> None:
    from etl import tables

    if not tables.exists(spark, cfg.lake, name):
        raise UsageError(f"no {name} table under {cfg.lake}: {hint}")


def _profile_args(parser) -> None:
    parser.add_argument("--languages", help="comma-separated language profile, e.g. 'ar' or 'en,de' (default: all)")
    parser.add_argument("--preset", help="a shipped config preset, e.g. 'arabic' (etl/presets/NAME.toml)")


def _profile_overrides(args) -> dict:
    langs = [code.strip() for code in args.languages.split(",") if code.strip()] if args.languages else None
    return {"silver.languages": langs, "catalog": getattr(args, "catalog", None),
            "schema": getattr(args, "schema", None), **_input_overrides(args)}


ALLOW_MISSING_HELP = ("log inputs that do not exist (yet) as unreachable and retry them on later runs, "
                      "instead of stopping with exit code 2")


def _input_overrides(args) -> dict:
    return {"ingest.allow_missing_inputs": True if getattr(args, "allow_missing_inputs", False) else None}


def _resolve_preset(args) -> None:
    if getattr(args, "preset", None):
        from etl.presets import preset_path

        if args.config:
            raise UsageError("give either --preset or --config, not both")
        args.config = str(preset_path(args.preset))


def _profile_config(args):
    """Config from --preset/--config/--languages/--set (silver, gold and refresh)."""
    _resolve_preset(args)
    return config_from_args(args, _profile_overrides(args))


def _profile_config_and_session(args):
    cfg = _profile_config(args)
    return cfg, _session(cfg)


def _preflight(cfg, inputs: list[str]) -> list[str]:
    """The input files, expanded once; inputs and lake checked before Spark starts (seconds to a clear error)."""
    from etl.preflight import check_inputs, check_lake

    files = check_inputs(inputs, cfg.ingest)
    check_lake(cfg.lake)
    return files


SILVER_EPILOG = """examples:
  python jobs/build_silver.py --lake lake
  python jobs/build_silver.py --lake lake --languages ar --set silver.langid_max_chars=500

Scores only the bronze documents that silver does not have yet."""


def silver_main(argv: list[str] | None = None) -> int:
    parser = base_parser("build_silver", "Score new bronze documents: normalised text, language, quality, "
                         "toxicity and URL signals into silver/documents.", SILVER_EPILOG)
    _profile_args(parser)
    args = parser.parse_args(argv)

    def body() -> list[str]:
        from etl import tables
        from etl.bronze.ingest import new_run_id
        from etl.heartbeat import Heartbeat
        from etl.silver.build import run_silver

        cfg, spark = _profile_config_and_session(args)
        _require_table(spark, cfg, tables.BRONZE_DOCUMENTS, "run jobs/ingest_wet.py first")
        with Heartbeat(print, spark) as beat:
            return run_silver(spark, cfg, new_run_id(), beat).lines()

    return run_job("build_silver", body)


GOLD_EPILOG = """examples:
  python jobs/build_gold.py --lake lake
  python jobs/build_gold.py --lake lake --set gold.dedup.threshold=0.8 --rebuild
  python jobs/build_gold.py --lake lake --preset arabic

Decides new silver documents (filters, then exact and near dedup against everything already in gold).
--rebuild starts gold over, e.g. after changing thresholds (silver is never recomputed)."""


def gold_main(argv: list[str] | None = None) -> int:
    parser = base_parser("build_gold", "Apply filter decisions and dedup: gold/documents, gold/rejections, "
                         "gold/duplicates, gold/minhash_index.", GOLD_EPILOG)
    _profile_args(parser)
    parser.add_argument("--rebuild", action="store_true", help="recompute every gold table from silver")
    args = parser.parse_args(argv)

    def body() -> list[str]:
        from etl.bronze.ingest import new_run_id
        from etl.gold.build import SILVER_DOCUMENTS, run_gold
        from etl.heartbeat import Heartbeat

        cfg, spark = _profile_config_and_session(args)
        _require_table(spark, cfg, SILVER_DOCUMENTS, "run jobs/build_silver.py first")
        with Heartbeat(print, spark) as beat:
            return run_gold(spark, cfg, new_run_id(), beat, rebuild=args.rebuild).lines()

    return run_job("build_gold", body)


REFRESH_EPILOG = """examples:
  python jobs/refresh.py --input data/sample --lake lake --report reports/run
  python jobs/refresh.py --input 'crawl/*.wet.gz' --lake lake --preset arabic
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
    _profile_args(parser)
    args = parser.parse_args(argv)

    def body() -> list[str]:
        from etl.pipeline import refresh

        cfg = _profile_config(args)
        files = _preflight(cfg, args.input)  # a manifest is downloaded once, here
        spark = _session(cfg)
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


def housekeeping_main(argv: list[str] | None = None) -> int:
    from etl.housekeeping import housekeeping_main as main

    return main(argv)


def train_toxicity_main(argv: list[str] | None = None) -> int:
    from etl.jobs_toxicity import train_main

    return train_main(argv)


def export_main(argv: list[str] | None = None) -> int:
    from etl.jobs_export import export_main as main

    return main(argv)


JOBS = {"ingest": ingest_main, "silver": silver_main, "gold": gold_main, "refresh": refresh_main,
        "housekeeping": housekeeping_main, "train-toxicity": train_toxicity_main, "export": export_main}
