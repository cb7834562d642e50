"""`train_domains`: seeds + self-training on real pages -> the topic and format model silver scores with."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from etl.cli.common import UsageError, base_parser, config_from_args, run_job, session

TRAIN_EPILOG = """examples:
  python jobs/train_domains.py --recipe default --model-out etl/resources/domain_model --overwrite   # the bundled model
  python jobs/train_domains.py --input lake --model-out models/domains           # a lake's silver documents
  python jobs/train_domains.py --input 'crawl/*.warc.wet.gz' --input core/train.tsv --model-out models/domains

--input takes a lake (its silver/documents table: text and language), WET/WARC/JSONL files, directories or globs
(read by bronze's parsers in Spark), or CORE register files (.tsv, `labels<TAB>text`: the registers narrow the
formats a page may get). --recipe default is the training data of the bundled model (../shared/data or
$DOMAINS_DATA_ROOT): FrCORE dev, SvCORE train and dev, and the real WET/WARC records of cc_2014_npm_warc_fixtures and
cc_warc_2020_resiliparse. Evaluation data is refused: CORE test.tsv, SIB-200, the OSCAR records, and any page whose
SHA-1 is in evals/data/domains_heldout.jsonl is left out. Score with silver.domain_model_path = <model-out>."""

DATA_ROOT_ENV = "DOMAINS_DATA_ROOT"
DEFAULT_RECIPE = ("web_registers_core_fr_sv/FrCORE/dev.tsv", "web_registers_core_fr_sv/SvCORE/train.tsv",
                  "web_registers_core_fr_sv/SvCORE/dev.tsv",
                  "cc_2014_npm_warc_fixtures/CC-MAIN-20140820021334-00006-ip-10-180-136-8.ec2.internal.warc.wet",
                  "cc_warc_2020_resiliparse/warcfile.warc.gz")
HELD_OUT_PARTS = ("FrCORE/test.tsv", "SvCORE/test.tsv", "topic_sib200", "oscar", "domains_heldout")
HELD_OUT_LABELS = Path(__file__).resolve().parents[2] / "evals" / "data" / "domains_heldout.jsonl"
DEFAULT_MAX_DOCUMENTS = 20000
MIN_TEXT_CHARS = 50


def _data_root() -> Path:
    env = os.environ.get(DATA_ROOT_ENV)
    return Path(env) if env else Path(__file__).resolve().parents[3] / "shared" / "data"


def held_out_sha1s() -> frozenset[str]:
    """SHA-1s of the hand-labelled evaluation pages (empty outside a checkout)."""
    if not HELD_OUT_LABELS.is_file():
        return frozenset()
    with HELD_OUT_LABELS.open(encoding="utf-8") as f:
        return frozenset(json.loads(line)["text_sha1"] for line in f if line.strip())


def _read_inputs(spark, cfg, inputs: list[str], limit: int, log):
    """(text, language or None, registers) rows of every input, at most ``limit`` (a seeded hash picks which)."""
    from pyspark.sql import functions as F

    from etl import tables
    from etl.bronze.ingest import parse_files
    from etl.bronze.records import KIND_DOCUMENT
    from etl.table_specs import SILVER_DOCUMENTS

    frames = []
    files = []
    for path in inputs:
        if os.path.isdir(path) and tables.exists(spark, path, SILVER_DOCUMENTS):
            log(f"input {path}: the lake's {SILVER_DOCUMENTS}")
            frames.append(tables.read(spark, path, SILVER_DOCUMENTS).select(
                "text", F.col("language"), F.array().cast("array<string>").alias("registers")))
        elif path.endswith(".tsv"):
            log(f"input {path}: CORE register file")
            lines = spark.read.text(path).where(F.instr("value", "\t") > 0)
            frames.append(lines.select(
                F.substring_index("value", "\t", -1).alias("text"), F.lit(None).cast("string").alias("language"),
                F.split(F.substring_index("value", "\t", 1), " ").alias("registers")))
        else:
            files.append(path)
    if files:
        log(f"input: {len(files)} WET/WARC/JSONL file(s) through bronze's parsers")
        env = parse_files(spark, files, cfg.ingest)
        frames.append(env.where(F.col("kind") == KIND_DOCUMENT).select(
            "text", F.lit(None).cast("string").alias("language"), F.array().cast("array<string>").alias("registers")))
    df = frames[0]
    for other in frames[1:]:
        df = df.unionByName(other)
    df = df.where(F.length("text") >= MIN_TEXT_CHARS)
    rows = df.orderBy(F.xxhash64("text")).limit(limit).collect()
    return [(r["text"], r["language"], tuple(r["registers"] or ())) for r in rows]


def train_domains_main(argv: list[str] | None = None) -> int:
    from etl.models.domain_training import ROUNDS, SEED_TEXTS_PER_LABEL

    parser = base_parser("train_domains", "Train the topic and format classifier (WebOrganizer's taxonomy): expert "
                         "seeds label pages, then rounds of self-training.", TRAIN_EPILOG)
    parser.add_argument("--input", action="extend", nargs="+", default=[], metavar="PATH",
                        help="a lake, WET/WARC/JSONL files or globs, CORE .tsv files (repeatable)")
    parser.add_argument("--recipe", choices=["default"], help="the bundled model's training data (see below)")
    parser.add_argument("--model-out", required=True, metavar="DIR", help="directory to save the model in")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help=f"self-training rounds (default {ROUNDS})")
    parser.add_argument("--seed-texts-per-label", type=int, default=SEED_TEXTS_PER_LABEL,
                        help=f"keyword pseudo-documents per label and language (default {SEED_TEXTS_PER_LABEL})")
    parser.add_argument("--max-documents", type=int, default=DEFAULT_MAX_DOCUMENTS,
                        help=f"documents read at most, picked by a seeded hash (default {DEFAULT_MAX_DOCUMENTS})")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing model at --model-out")
    parser.add_argument("--no-embedding-head", action="store_true",
                        help="skip the topic head on the multilingual embedding (faster; n-gram model and seeds only)")
    args = parser.parse_args(argv)

    def log(line: str) -> None:
        print(f"train_domains: {line}", flush=True)

    def body() -> list[str]:
        from etl.models.domain_model import WEIGHTS_FILE
        from etl.models.domain_training import Document, train_domain_model
        from etl.silver.langid import detect_language

        inputs = list(args.input)
        if args.recipe == "default":
            root = _data_root()
            inputs += [str(root / p) for p in DEFAULT_RECIPE]
        if not inputs:
            raise UsageError("give --input PATH (or --recipe default)")
        for path in inputs:
            if any(part in path for part in HELD_OUT_PARTS):
                raise UsageError(f"--input {path}: held out for evaluation, never trained on")
            if not any(ch in path for ch in "*?[") and "://" not in path and not os.path.exists(path):
                raise UsageError(f"--input {path}: no such file or directory")
        if args.rounds < 0 or args.max_documents < 1:
            raise UsageError("--rounds must be >= 0 and --max-documents >= 1")
        if os.path.exists(os.path.join(args.model_out, WEIGHTS_FILE)) and not args.overwrite:
            raise UsageError(f"--model-out {args.model_out} holds a model: add --overwrite to replace it")
        cfg = config_from_args(args)
        spark = session(cfg, delta=any(os.path.isdir(p) for p in inputs))
        rows = _read_inputs(spark, cfg, inputs, args.max_documents, log)
        held_out = held_out_sha1s()
        docs, skipped = [], 0
        for text, language, registers in rows:
            if hashlib.sha1(text.encode("utf-8")).hexdigest() in held_out:
                skipped += 1
                continue
            docs.append(Document(text, language or detect_language(text)[0], registers))
        log(f"read {len(rows)} documents; {skipped} held-out page(s) left out")
        from etl.models.embedding import first_window_embeddings

        embed_texts = None if args.no_embedding_head else first_window_embeddings
        model, report = train_domain_model(docs, rounds=args.rounds, per_label=args.seed_texts_per_label, log=log,
                                           embed_texts=embed_texts)
        model.meta["inputs"] = [os.path.relpath(p, _data_root()) if args.recipe else p for p in inputs]
        model.save(args.model_out)
        size = sum(os.path.getsize(os.path.join(args.model_out, f)) for f in os.listdir(args.model_out))
        return [f"trained on {report.documents} documents ({report.seed_labelled['topic']} topic and "
                f"{report.seed_labelled['format']} format labels from seeds, self-labelled per round "
                f"{report.self_labelled}) and {report.seed_texts['topic']} keyword texts per head in {report.seconds} s",
                f"model saved to {args.model_out} ({size / 1e6:.1f} MB); score with it:",
                f"  silver: {{domain_model_path: {args.model_out}}}"]

    return run_job("train_domains", body)
