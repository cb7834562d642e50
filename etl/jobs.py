"""The jobs behind jobs/*.py, notebooks and the `cc-etl` entry point: parse arguments, call one pipeline function."""

from __future__ import annotations

from etl.cli import UsageError, base_parser, config_from_args, run_job

INGEST_EPILOG = """examples:
  python jobs/ingest_wet.py --input data/sample --lake lake
  python jobs/ingest_wet.py --input 'crawl/*.wet.gz' --lake s3a://bucket/lake --set ingest.files_per_batch=256
  python jobs/ingest_wet.py --input wet.paths.gz --manifest-prefix https://data.commoncrawl.org/ --lake lake
  spark-submit --py-files dist/etl.zip --jars .cache/jars/delta-spark_2.13-4.0.1.jar,.cache/jars/delta-storage-4.0.1.jar \\
    jobs/ingest_wet.py --input data/sample --lake lake

Files already ingested (per bronze/ingest_log) are skipped, so re-running is safe and adds nothing."""


def ingest_main(argv: list[str] | None = None) -> int:
    parser = base_parser("ingest_wet", "Read Common Crawl WET files into bronze Delta tables, exactly once.",
                         INGEST_EPILOG)
    parser.add_argument("--input", nargs="+", required=True, metavar="PATH",
                        help="WET files, directories, globs, wet.paths(.gz) manifests, http(s):// or s3:// URLs")
    parser.add_argument("--manifest-prefix", help="prefix for relative paths in manifests")
    parser.add_argument("--files-per-batch", type=int, help="files committed together (default 64)")
    args = parser.parse_args(argv)

    def body() -> list[str]:
        from etl.bronze.ingest import run_ingest
        from etl.spark import get_spark, require_delta

        cfg = config_from_args(args, {"ingest.manifest_prefix": args.manifest_prefix,
                                      "ingest.files_per_batch": args.files_per_batch})
        spark = get_spark(cfg.spark)
        require_delta(spark)
        summary = run_ingest(spark, cfg, args.input)
        if summary.files_given == 0:
            raise UsageError(f"no input files found in {' '.join(args.input)}")
        return summary.lines()

    return run_job("ingest_wet", body)


JOBS = {"ingest": ingest_main}
