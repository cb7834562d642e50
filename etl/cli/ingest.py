"""`ingest_wet` / `cc-etl ingest`: WET files -> bronze Delta tables, exactly once."""

from __future__ import annotations

from etl.cli.common import base_parser, config_from_args, run_job, session
from etl.cli.options import ALLOW_MISSING_HELP, input_overrides, preflight

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

        cfg = config_from_args(args, {"ingest.manifest_prefix": args.manifest_prefix,
                                      "ingest.files_per_batch": args.files_per_batch, **input_overrides(args)})
        files = preflight(cfg, args.input)
        spark = session(cfg)
        with Heartbeat(print, spark) as beat:
            return run_ingest(spark, cfg, files, beat).lines()

    return run_job("ingest_wet", body)
