"""`train_quality` / `cc-etl train-quality`: reference text vs a sample of the lake's crawl -> a quality classifier."""

from __future__ import annotations

import os

from etl.cli.common import UsageError, base_parser, config_from_args, run_job, session
from etl.table_specs import SILVER_DOCUMENTS

TRAIN_EPILOG = """examples:
  python jobs/train_quality.py --reference my_reference_texts/ --lake lake --model-out models/quality
  python jobs/train_quality.py --reference wiki.jsonl.gz --reference books.parquet --crawl-per-reference 2 \\
    --lake lake --model-out models/quality --overwrite

--reference takes .txt files (one document each) or a folder of them, JSONL(.gz) or Parquet with a `text` field:
the text you want more of (DCLM used instruction data and ELI5, FineWeb-Edu educational pages). The negatives are
silver documents of --lake, sampled by a seeded hash. A seeded hash of each text holds out a validation share for
an AUC. Score with silver.quality_model_path = <model-out>; gold drops on quality_model_score only once you set
gold.min_quality_score (read the scores first: etl.report's histograms, or the silver table)."""


def train_quality_main(argv: list[str] | None = None) -> int:
    from etl.models.quality_training import NEGATIVES_PER_POSITIVE, VALIDATION_FRACTION

    parser = base_parser("train_quality", "Train a quality classifier: the user's reference text against a sample "
                         "of the lake's crawl documents.", TRAIN_EPILOG)
    parser.add_argument("--reference", action="extend", nargs="+", required=True, metavar="PATH",
                        help="reference documents: .txt files or folders, .jsonl(.gz), .parquet (repeatable)")
    parser.add_argument("--model-out", required=True, metavar="PATH", help="directory to save the Spark ML model in")
    parser.add_argument("--crawl-per-reference", type=float, default=NEGATIVES_PER_POSITIVE,
                        help=f"crawl documents sampled per reference document (default {NEGATIVES_PER_POSITIVE})")
    parser.add_argument("--validation-fraction", type=float, default=VALIDATION_FRACTION,
                        help=f"share held out for the AUC, in (0, 1) (default {VALIDATION_FRACTION})")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing model at --model-out")
    args = parser.parse_args(argv)

    def body() -> list[str]:
        from etl import tables
        from etl.models.quality_training import crawl_sample, read_reference, save_quality_model, train_quality_model

        if not 0.0 < args.validation_fraction < 1.0:
            raise UsageError(f"--validation-fraction must be between 0 and 1, got {args.validation_fraction}")
        missing = [p for p in args.reference if not os.path.exists(p)]
        if missing:
            raise UsageError(f"--reference {missing[0]}: no such file or directory")
        try:
            reference = read_reference(args.reference)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        if reference.empty:
            raise UsageError("no reference text of at least 200 characters in --reference")
        cfg = config_from_args(args)
        spark = session(cfg)
        if not tables.exists(spark, cfg.lake, SILVER_DOCUMENTS):
            raise UsageError(f"{cfg.lake} has no {SILVER_DOCUMENTS} to sample crawl documents from: "
                             "run a refresh first")
        crawl = crawl_sample(spark, cfg.lake, max(1, round(len(reference) * args.crawl_per_reference)))
        trained = train_quality_model(spark, reference, crawl, args.validation_fraction)
        save_quality_model(trained, args.model_out, overwrite=args.overwrite)
        auc = trained.validation.get("auc")
        return [f"trained on {trained.rows['reference']} reference and {trained.rows['crawl']} crawl documents; "
                f"validation {trained.rows['validation']} rows, AUC {auc if auc is not None else 'n/a'}",
                f"model saved to {args.model_out}; config that scores with it (no documents dropped until you set "
                "gold.min_quality_score):",
                f"  silver: {{quality_model_path: {args.model_out}}}"]

    return run_job("train_quality", body)
