"""`build_gold` / `cc-etl gold`: new silver rows -> filter decisions and dedup against the lake's history."""

from __future__ import annotations

from etl.cli.common import base_parser, require_table, run_job, session
from etl.cli.options import add_profile_args, profile_config

GOLD_EPILOG = """examples:
  python jobs/build_gold.py --lake lake
  python jobs/build_gold.py --lake lake --set gold.dedup.threshold=0.8 --rebuild
  python jobs/build_gold.py --lake lake --preset arabic

Decides new silver documents (filters, then exact and near dedup against everything already in gold).
--rebuild starts gold over, e.g. after changing thresholds (silver is never recomputed)."""


def gold_main(argv: list[str] | None = None) -> int:
    parser = base_parser("build_gold", "Apply filter decisions and dedup: gold/documents, gold/rejections, "
                         "gold/duplicates, gold/minhash_index.", GOLD_EPILOG)
    add_profile_args(parser)
    parser.add_argument("--rebuild", action="store_true", help="recompute every gold table from silver")
    args = parser.parse_args(argv)

    def body() -> list[str]:
        from etl.bronze.ingest import new_run_id
        from etl.gold.build import run_gold
        from etl.table_specs import SILVER_DOCUMENTS
        from etl.heartbeat import Heartbeat

        cfg = profile_config(args)
        spark = session(cfg)
        require_table(spark, cfg, SILVER_DOCUMENTS, "run jobs/build_silver.py first")
        with Heartbeat(print, spark) as beat:
            return run_gold(spark, cfg, new_run_id(), beat, rebuild=args.rebuild).lines()

    return run_job("build_gold", body)
