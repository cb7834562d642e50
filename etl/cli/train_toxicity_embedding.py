"""`train_toxicity_embedding`: fit the embedding toxicity model (tox_embed_score) on labelled sets and save it."""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

EPILOG = """examples:
  python jobs/train_toxicity_embedding.py --recipe default --model-out etl/resources/toxicity_embedding_model --overwrite
  python jobs/train_toxicity_embedding.py --dataset tweeteval_hate_en --dataset mpold_ar --model-out models/tox_embed

The texts are embedded with the multilingual Universal Sentence Encoder (one process, one core: about 650 short
texts per second) and one logistic regression is fitted on the embeddings (each set weighing the same). The L2
strength and the decision thresholds are chosen on the same seeded validation split as the n-gram classifier's.
Score with silver.toxicity_embedding_model_path = <model-out> (docs/toxicity.md)."""


def train_embedding_main(argv: list[str] | None = None) -> int:
    from etl.cli.common import invoked_name
    from etl.models.toxicity_datasets import DATASETS, DEFAULT_RECIPE, load_recipe

    parser = argparse.ArgumentParser(
        prog=invoked_name("train_toxicity_embedding"), description="Train the multilingual-embedding toxicity model, choose its "
        "thresholds on held-out data and save both.", epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipe", choices=["default"], help=f"the default datasets: {', '.join(DEFAULT_RECIPE)}")
    parser.add_argument("--dataset", action="extend", nargs="+", default=[], metavar="NAME", choices=list(DATASETS),
                        help="a known labelled dataset by name (repeatable)")
    parser.add_argument("--data-root", metavar="DIR", help="folder holding the dataset folders "
                        "(default $TOXICITY_DATA_ROOT, else ../shared/data)")
    parser.add_argument("--model-out", required=True, metavar="DIR", help="local directory to save the model in")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --model-out")
    args = parser.parse_args(argv)
    names = list(dict.fromkeys((list(DEFAULT_RECIPE) if args.recipe else []) + args.dataset))
    if not names:
        parser.error("name the training data: --recipe default and/or --dataset NAME")
    out = Path(args.model_out)
    if out.exists() and any(out.iterdir()) and not args.overwrite:
        print(f"error: {out} exists and is not empty (add --overwrite)", file=sys.stderr)
        return 2
    try:
        labelled = load_recipe(names, args.data_root)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    from etl.models.embedding import load_encoder
    from etl.models.toxicity_embedding_training import embed_labelled, fit

    started = time.time()
    print(f"train_toxicity_embedding: {len(labelled):,} rows from {', '.join(names)}; embedding ...", flush=True)
    rows, x = embed_labelled(load_encoder(), labelled)
    print(f"train_toxicity_embedding: embedded in {time.time() - started:.0f} s", flush=True)
    model = fit(rows, x, progress=lambda line: print(f"train_toxicity_embedding: {line}", flush=True))
    if out.exists():
        shutil.rmtree(out)
    model.save(out)
    meta = model.meta
    print(f"train_toxicity_embedding: saved {out} (l2 {meta['l2']:g}, validation mean AUC "
          f"{meta['validation_mean_auc']}, thresholds {meta['thresholds']}) in {time.time() - started:.0f} s")
    return 0
