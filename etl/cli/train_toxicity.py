"""`train_toxicity` / `cc-etl train-toxicity`: train the toxicity classifier on labelled tables, evaluate, save."""

from __future__ import annotations

import os
from urllib.parse import urlparse

from etl.cli.common import UsageError, base_parser, config_from_args, run_job, session

TRAIN_EPILOG = """examples:
  python jobs/train_toxicity.py --recipe default --model-out models/toxicity        # the eight real sets + Jigsaw sample
  python jobs/train_toxicity.py --dataset tweeteval_hate_en --dataset mpold_ar --input my_labels.csv \\
    --model-out models/toxicity --overwrite
  spark-submit --archives dist/etl.zip#etl_pkg --conf spark.executorEnv.PYTHONPATH=etl_pkg jobs/train_toxicity.py \\
    --input s3a://bucket/labels.csv --model-out s3a://bucket/models/tox

--dataset names a bundled reader (see etl/models/toxicity_datasets.py) for a folder under --data-root
($TOXICITY_DATA_ROOT, else ../shared/data). --input takes CSV (file, directory or glob, with a header) or a
Delta table, in HateCheck (test_case, label_gold), Jigsaw (comment_text, toxic) or generic
(text, label[, language]) form; each input counts as one dataset. A seeded hash of each text holds out a
validation share of every dataset; the decision thresholds (one for any language, one per language with enough
validation rows) maximise macro-F1 averaged over the datasets. They are saved beside the model and printed as
the config lines that make gold apply them. Score with silver.toxicity_model_path = <model-out>."""


LEXICON_MODULE = "etl.silver.toxicity"  # owns the lexicon_seeds dataset


def _check_local_input(path: str) -> None:
    """Fail early, with exit code 2, on a local path that does not exist (remote paths are checked by Spark)."""
    if urlparse(path).scheme not in ("", "file") or any(ch in path for ch in "*?["):
        return
    local = urlparse(path).path if path.startswith("file:") else path
    if not os.path.exists(local):
        raise UsageError(f"--input {path}: no such file or directory")


def train_main(argv: list[str] | None = None) -> int:
    import importlib

    from etl.models.toxicity_datasets import DATASETS, DEFAULT_RECIPE
    from etl.models.toxicity_training import SPLIT_SEED, VALIDATION_FRACTION

    importlib.import_module(LEXICON_MODULE)  # registers the lexicon_seeds dataset

    parser = base_parser("train_toxicity", "Train the character n-gram toxicity classifier, choose its "
                         "thresholds on held-out data and save both.", TRAIN_EPILOG)
    parser.add_argument("--recipe", choices=["default"], help=f"the default datasets: {', '.join(DEFAULT_RECIPE)}")
    parser.add_argument("--dataset", action="extend", nargs="+", default=[], metavar="NAME", choices=list(DATASETS),
                        help="a known labelled dataset by name (repeatable): " + ", ".join(DATASETS))
    parser.add_argument("--data-root", metavar="DIR", help="folder holding the --dataset folders")
    parser.add_argument("--input", action="extend", nargs="+", default=[], metavar="PATH",
                        help="labelled CSV or Delta table (repeatable)")
    parser.add_argument("--model-out", required=True, metavar="PATH", help="directory to save the Spark ML model in")
    parser.add_argument("--validation-fraction", type=float, default=VALIDATION_FRACTION,
                        help=f"share of each dataset held out to choose thresholds, in (0, 1) "
                             f"(default {VALIDATION_FRACTION})")
    parser.add_argument("--seed", type=int, default=SPLIT_SEED, help=f"split seed (default {SPLIT_SEED})")
    parser.add_argument("--reg-param", type=float, help="logistic regression L2/L1 strength (default 1e-4)")
    parser.add_argument("--max-iter", type=int, help="logistic regression iterations (default 50)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing model at --model-out")
    args = parser.parse_args(argv)

    def body() -> list[str]:
        if not 0.0 < args.validation_fraction < 1.0:
            raise UsageError(f"--validation-fraction must be between 0 and 1, got {args.validation_fraction}")
        names = list(dict.fromkeys((list(DEFAULT_RECIPE) if args.recipe else []) + args.dataset))
        if not names and not args.input:
            raise UsageError("nothing to train on: give --recipe default, --dataset NAME or --input PATH")
        for path in args.input:
            _check_local_input(path)
        from dataclasses import replace

        import pandas as pd

        from etl.models.toxicity_datasets import load_dataset
        from etl.models.text_classifier import ToxicityModelConfig, load_labelled
        from etl.models.toxicity_training import config_lines, fit, save

        overrides = {k: v for k, v in (("reg_param", args.reg_param), ("max_iter", args.max_iter)) if v is not None}
        try:
            model_cfg = replace(ToxicityModelConfig(), **overrides)
            frames = [load_dataset(name, args.data_root) for name in names]
        except (ValueError, FileNotFoundError) as exc:
            raise UsageError(str(exc)) from None
        spark = session(config_from_args(args), delta=False)
        for path in args.input:
            try:  # labelled sets are small (thousands to a few million rows): the driver holds them
                frames.append(load_labelled(spark, path).toPandas().assign(dataset=path))
            except ValueError as exc:  # a table without the needed columns is a usage problem, not a crash
                raise UsageError(str(exc)) from None
        trained = fit(spark, pd.concat(frames, ignore_index=True), model_cfg, args.validation_fraction, args.seed)
        save(trained, args.model_out, overwrite=args.overwrite)
        lines = [f"trained on {trained.rows['train']} rows of {', '.join(trained.datasets)}; "
                 f"validation {trained.rows['validation']} rows (score > threshold = toxic):",
                 f"  {'dataset':24}{'AUC':>7}{'precision':>10}{'recall':>8}{'F1':>7}{'macro-F1':>9}{'n':>7}"]
        for name, m in trained.validation.items():
            lines.append(f"  {name:24}{m['roc_auc']:>7.3f}{m['precision']:>10.3f}{m['recall']:>8.3f}"
                         f"{m['f1']:>7.3f}{m['macro_f1']:>9.3f}{m['n']:>7}")
        lines.append(f"model and thresholds saved to {args.model_out}; config that applies them:")
        lines += ["  " + line for line in [f"silver: {{toxicity_model_path: {args.model_out}}}", *config_lines(
            trained.thresholds)]]
        return lines

    return run_job("train_toxicity", body)
