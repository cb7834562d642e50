"""`build_silver` / `cc-etl silver`: new bronze rows -> silver signals."""

from __future__ import annotations

from etl.cli.common import base_parser, require_table, run_job, session
from etl.cli.options import add_profile_args, profile_config
from etl.table_specs import BRONZE_DOCUMENTS

SILVER_EPILOG = """examples:
  python jobs/build_silver.py --lake lake
  python jobs/build_silver.py --lake lake --languages ar --set silver.langid_max_chars=500

Scores only the bronze documents that silver does not have yet."""


def silver_main(argv: list[str] | None = None) -> int:
    parser = base_parser("build_silver", "Score new bronze documents: normalised text, language, quality, "
                         "toxicity and URL signals into silver/documents.", SILVER_EPILOG)
    add_profile_args(parser)
    args = parser.parse_args(argv)

    def body() -> list[str]:
        from etl.bronze.ingest import new_run_id
        from etl.heartbeat import Heartbeat
        from etl.silver.build import run_silver

        cfg = profile_config(args)
        spark = session(cfg)
        require_table(spark, cfg, BRONZE_DOCUMENTS, "run jobs/ingest_wet.py first")
        with Heartbeat(print, spark) as beat:
            return run_silver(spark, cfg, new_run_id(), beat).lines()

    return run_job("build_silver", body)
