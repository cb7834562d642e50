"""`train_toxicity_dimensions`: the sets that name an attack's target -> one model per toxicity dimension."""

from __future__ import annotations

from etl.cli.common import UsageError, base_parser, config_from_args, run_job, session

TRAIN_EPILOG = """examples:
  python jobs/train_toxicity_dimensions.py --model-out etl/resources/toxicity_dimensions_model --overwrite

Reads HateCheck, COLDataset, Korean HateSpeech, ToLD-Br and HatEval-es (targets and threats) plus the other real
sets' clean rows from --data-root ($TOXICITY_DATA_ROOT, else ../shared/data); see etl/models/dimension_datasets.py.
Silver scores tox_model_<dimension> (0..3) and tox_model_tier with the model in etl/resources (docs/toxicity.md)."""


def train_dimensions_main(argv: list[str] | None = None) -> int:
    from etl.models.toxicity_training import SPLIT_SEED, VALIDATION_FRACTION

    parser = base_parser("train_toxicity_dimensions", "Train one hashed n-gram regression per Toxicity-of-the-"
                         "Commons dimension and choose its 0..3 cut points on held-out data.", TRAIN_EPILOG)
    parser.add_argument("--data-root", metavar="DIR", help="folder holding the dataset folders")
    parser.add_argument("--model-out", required=True, metavar="PATH", help="directory to save the model in")
    parser.add_argument("--seed", type=int, default=SPLIT_SEED, help=f"split seed (default {SPLIT_SEED})")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing model at --model-out")
    args = parser.parse_args(argv)

    def body() -> list[str]:
        from etl.models.dimension_datasets import load_dimension_rows
        from etl.models.dimension_training import fit_dimensions, save_dimensions

        rows = load_dimension_rows(args.data_root)
        if rows.empty:
            raise UsageError("no labelled sets found under the data root (set --data-root or $TOXICITY_DATA_ROOT)")
        spark = session(config_from_args(args), delta=False)
        trained = fit_dimensions(spark, rows, validation_fraction=VALIDATION_FRACTION, seed=args.seed)
        save_dimensions(trained, args.model_out, overwrite=args.overwrite)
        lines = [f"trained on {trained.rows['train']} rows of {', '.join(trained.datasets)}; "
                 f"validation {trained.rows['validation']} rows:"]
        for name, m in trained.validation.items():
            lines.append(f"  {name:12} AUC {m['roc_auc']}  n {m['n']}  positives {m['positives']}  "
                         f"cut points {trained.thresholds[name]}")
        return lines + [f"model and cut points saved to {args.model_out}"]

    return run_job("train_toxicity_dimensions", body)
