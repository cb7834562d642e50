"""The job behind jobs/train_toxicity.py: train the toxicity classifier on labelled tables, evaluate, save."""

from __future__ import annotations

import os
from urllib.parse import urlparse

from etl.cli import UsageError, base_parser, config_from_args, run_job

DEFAULT_TEST_FRACTION = 0.2
DEFAULT_SEED = 42
SPLIT_BUCKETS = 10_000
THRESHOLD = 0.5

TRAIN_EPILOG = """examples:
  python jobs/train_toxicity.py --input tests/data/jigsaw/test_examples.csv --model-out models/toxicity
  python jobs/train_toxicity.py --input '../shared/data/toxicity_multilingual_hatecheck/*.csv' \\
    --input my_labels_delta_table --model-out models/toxicity --test-fraction 0.3 --seed 7 --overwrite
  spark-submit --archives dist/etl.zip#etl_pkg --conf spark.executorEnv.PYTHONPATH=etl_pkg jobs/train_toxicity.py \\
    --input s3a://bucket/labels.csv --model-out s3a://bucket/models/tox

Inputs: CSV (file, directory or glob, with a header) or Delta tables, in HateCheck (test_case, label_gold),
Jigsaw (comment_text, toxic) or generic (text, label[, language]) form. Rows are split by a seeded hash of the
text, so identical texts never sit on both sides. Score with etl.silver.toxicity_model.score_with_model."""


def _check_local_input(path: str) -> None:
    """Fail early, with exit code 2, on a local path that does not exist (remote paths are checked by Spark)."""
    if urlparse(path).scheme not in ("", "file") or any(ch in path for ch in "*?["):
        return
    local = urlparse(path).path if path.startswith("file:") else path
    if not os.path.exists(local):
        raise UsageError(f"--input {path}: no such file or directory")


def train_main(argv: list[str] | None = None) -> int:
    parser = base_parser("train_toxicity", "Train the character n-gram toxicity classifier and save it.",
                         TRAIN_EPILOG)
    parser.add_argument("--input", action="extend", nargs="+", required=True, metavar="PATH",
                        help="labelled CSV or Delta table (repeatable; all inputs are unioned)")
    parser.add_argument("--model-out", required=True, metavar="PATH", help="directory to save the Spark ML model in")
    parser.add_argument("--test-fraction", type=float, default=DEFAULT_TEST_FRACTION,
                        help=f"share of rows held out for evaluation, in (0, 1) (default {DEFAULT_TEST_FRACTION})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"split seed (default {DEFAULT_SEED})")
    parser.add_argument("--reg-param", type=float, help="logistic regression L2/L1 strength (default 1e-4)")
    parser.add_argument("--max-iter", type=int, help="logistic regression iterations (default 50)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing model at --model-out")
    args = parser.parse_args(argv)

    def body() -> list[str]:
        if not 0.0 < args.test_fraction < 1.0:
            raise UsageError(f"--test-fraction must be between 0 and 1, got {args.test_fraction}")
        for path in args.input:
            _check_local_input(path)
        from dataclasses import replace
        from functools import reduce

        from pyspark.sql import functions as F

        from etl.silver.toxicity_model import (
            MODEL_SCORE_COL,
            ToxicityModelConfig,
            apply_model,
            binary_metrics,
            load_labelled,
            save_model,
            train_toxicity_model,
        )
        from etl.spark import get_spark

        overrides = {k: v for k, v in (("reg_param", args.reg_param), ("max_iter", args.max_iter)) if v is not None}
        try:
            model_cfg = replace(ToxicityModelConfig(), **overrides)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        spark = get_spark(config_from_args(args).spark)
        try:
            frames = [load_labelled(spark, path) for path in args.input]
        except ValueError as exc:  # a table without the needed columns is a usage problem, not a crash
            raise UsageError(str(exc)) from None
        labelled = reduce(lambda a, b: a.unionByName(b), frames)
        # Hash split: deterministic whatever the partitioning, and duplicates of a text share a side.
        bucket = F.pmod(F.xxhash64(F.coalesce(F.col("text"), F.lit("")), F.lit(args.seed)), F.lit(SPLIT_BUCKETS))
        labelled = labelled.withColumn("_is_test", bucket < F.lit(int(args.test_fraction * SPLIT_BUCKETS)))
        train = labelled.where(~F.col("_is_test")).drop("_is_test")
        test = labelled.where(F.col("_is_test")).drop("_is_test")

        model = train_toxicity_model(train, cfg=model_cfg)
        metrics = binary_metrics(apply_model(test, model), score_col=MODEL_SCORE_COL, threshold=THRESHOLD,
                                 by="language")
        save_model(model, args.model_out, overwrite=args.overwrite)
        lines = [f"held-out evaluation (score >= {THRESHOLD}):",
                 f"  {'language':10}{'precision':>10}{'recall':>8}{'F1':>8}{'n':>8}{'positives':>10}"]
        for key, m in metrics.items():
            lines.append(f"  {key:10}{m['precision']:>10.3f}{m['recall']:>8.3f}{m['f1']:>8.3f}"
                         f"{m['n']:>8}{m['positives']:>10}")
        lines.append(f"model saved to {args.model_out}")
        return lines

    return run_job("train_toxicity", body)
