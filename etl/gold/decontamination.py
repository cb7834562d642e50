"""Benchmark decontamination: a document that shares a word n-gram with an evaluation benchmark is dropped with
reason ``decontamination:<benchmark>`` (or only listed, gold.decontamination.action = "flag").

Benchmark texts are normalised as silver normalises documents, split into lowercased ``\\w+`` words and cut into
n-grams (13 by default, GPT-3's and OLMo's choice); a text with fewer words than n is one n-gram of all of them,
and texts under ``min_words`` are left out. Their 64-bit hashes (etl.gold.minhash.word_ngram_hashes) form the index
gold/benchmark_ngrams. Gold hashes the n-grams of its candidates (documents that passed every rule) on the
executors and joins them with the index on the hash: a Spark join (broadcast while the index is small, a shuffle
join when tens of benchmarks make it large), never a set on the driver.

Incremental: gold/benchmarks records each indexed benchmark's fingerprint (file bytes, fields, n-gram settings and
normalisation), so a run indexes only benchmarks that are new or changed. New documents are checked in every gold
step; a benchmark added later is checked once against the documents already in gold/documents (``recheck``), a
one-off cost of hashing every kept document's text once, the same work as checking that many new documents.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F, types as T

from etl import bundled
from etl import tables
from etl.catalog import BUNDLED_BENCHMARKS, DECONTAMINATION_FAMILY
from etl.config import DECONTAMINATION_DROP, NormalizeOptions, PipelineConfig
from etl.gold.minhash import word_ngram_hashes
from etl.io.sources import has_scheme, local_path
from etl.models.normalize import normalize_text
from etl.spark import persist_or_checkpoint, release
from etl.table_specs import GOLD_BENCHMARK_NGRAMS, GOLD_BENCHMARKS, GOLD_CONTAMINATION, GOLD_DOCUMENTS, schema

INDEX_SCHEMA = schema(GOLD_BENCHMARK_NGRAMS)
REGISTRY_SCHEMA = schema(GOLD_BENCHMARKS)
MATCHES_SCHEMA = "doc_id string, benchmark string, shared_ngrams bigint"
ACTION_DROPPED, ACTION_FLAGGED = "dropped", "flagged"
REASON_PREFIX = DECONTAMINATION_FAMILY + ":"
GZIP_MAGIC = b"\x1f\x8b"
WORDS_RE = re.compile(r"\w+")  # the words of etl.gold.minhash's word n-grams (of lowercased text)


@dataclass(frozen=True)
class Benchmark:
    """One benchmark: a JSONL file (gzipped or not) and the fields whose text is indexed."""

    name: str
    path: str
    fields: tuple[str, ...]
    bundled: bool = False


def configured(cfg: PipelineConfig) -> list[Benchmark]:
    """The benchmarks a run decontaminates against: the bundled ones listed, then the user's."""
    dc = cfg.gold.decontamination
    out = [Benchmark(name, str(_resource(BUNDLED_BENCHMARKS[name][0])), BUNDLED_BENCHMARKS[name][1], True)
           for name in dc.bundled]
    out += [Benchmark(b["name"], str(b["path"]), tuple(b["fields"])) for b in dc.benchmarks]
    return out


def enabled(cfg: PipelineConfig) -> bool:
    """Decontamination runs while gold.families lists its family and a benchmark is configured."""
    dc = cfg.gold.decontamination
    return DECONTAMINATION_FAMILY in cfg.gold.families and bool(dc.bundled or dc.benchmarks)


def _resource(file: str):
    return bundled.resource(bundled.BENCHMARKS, file)


def _open_bytes(b: Benchmark) -> bytes:
    if b.bundled:
        return _resource(BUNDLED_BENCHMARKS[b.name][0]).read_bytes()
    with open(local_path(b.path), "rb") as fh:
        return fh.read()


def _is_local(b: Benchmark) -> bool:
    return b.bundled or not has_scheme(b.path) or b.path.startswith("file:")


def fingerprint(b: Benchmark, cfg: PipelineConfig) -> str:
    """What the index rows of ``b`` depend on: its content (a remote file: its path), fields and n-gram settings."""
    dc = cfg.gold.decontamination
    h = hashlib.sha256(json.dumps([b.name, list(b.fields), dc.ngram, dc.min_words, cfg.silver.normalize],
                                  sort_keys=True, default=str).encode("utf-8"))
    h.update(hashlib.sha256(_open_bytes(b)).digest() if _is_local(b) else b.path.encode("utf-8"))
    return h.hexdigest()[:32]


def read_records(b: Benchmark) -> Iterator[dict]:
    """The records of a local (or bundled) benchmark file, gzipped or not."""
    data = _open_bytes(b)
    if data[:2] == GZIP_MAGIC:
        data = gzip.decompress(data)
    for line in data.decode("utf-8").splitlines():
        if line.strip():
            yield json.loads(line)


def benchmark_texts(spark: SparkSession, b: Benchmark) -> DataFrame:
    """(benchmark, text): one row per non-empty text field of each record. A local file is read here (benchmarks
    are small), a remote one with Spark's JSON reader."""
    if _is_local(b):
        rows = [(b.name, r[f]) for r in read_records(b) for f in b.fields
                if isinstance(r.get(f), str) and r[f].strip()]
        return spark.createDataFrame(rows, "benchmark string, text string")
    raw = spark.read.json(b.path)
    missing = [f for f in b.fields if f not in raw.columns]
    if missing:
        raise ValueError(f"benchmark {b.name}: field(s) {missing} not in {b.path} (has {raw.columns})")
    return (raw.select(F.explode(F.array(*[F.col(f).cast("string") for f in b.fields])).alias("text"))
            .where(F.col("text").isNotNull() & (F.trim("text") != "")).select(F.lit(b.name).alias("benchmark"), "text"))


# --- n-grams (pure Python, also what the tests and evals call) ---------------------------------------------------

def text_ngrams(texts: Sequence[str | None], n: int, min_words: int = 1,
                opts: NormalizeOptions | None = None) -> list[tuple[int, np.ndarray]]:
    """For each text: (words, distinct n-gram hashes); ``words`` is the n-gram length used (n, or the whole text's
    word count when shorter). Texts under ``min_words`` words get no hashes. ``opts``: normalise first (benchmark
    texts); None for text that silver already normalised."""
    prepared = [(normalize_text(t, opts) if opts is not None else t) or "" for t in texts]
    hashes, counts = word_ngram_hashes(prepared, n)
    offsets = np.concatenate(([0], np.cumsum(counts)))
    out = []
    for i, text in enumerate(prepared):
        words = min(n, len(WORDS_RE.findall(text.lower())))
        if counts[i] == 0 or words < min_words:
            out.append((0, np.zeros(0, dtype=np.int64)))
        else:
            out.append((words, np.unique(hashes[offsets[i]:offsets[i + 1]])))
    return out


def document_ngrams(texts: Sequence[str | None], lengths: Iterable[int]) -> list[np.ndarray]:
    """Distinct hashes of every word n-gram of each (already normalised) text, for each n in ``lengths``: the
    index's n and the shorter lengths of short benchmark texts."""
    texts = [t or "" for t in texts]
    parts: list[list[np.ndarray]] = [[] for _ in texts]
    for n in sorted(set(lengths)):
        hashes, counts = word_ngram_hashes(texts, n)
        for i, chunk in enumerate(np.split(hashes, np.cumsum(counts)[:-1]) if len(texts) else []):
            parts[i].append(chunk)
    return [np.unique(np.concatenate(p)) if p else np.zeros(0, dtype=np.int64) for p in parts]


# --- Spark ---------------------------------------------------------------------------------------------------------

def index_rows(spark: SparkSession, b: Benchmark, fp: str, cfg: PipelineConfig) -> DataFrame:
    """gold/benchmark_ngrams rows of one benchmark: (benchmark, fingerprint, words, ngram_hash), distinct."""
    dc = cfg.gold.decontamination
    opts = dataclasses.replace(NormalizeOptions(), **cfg.silver.normalize)
    n, min_words = dc.ngram, dc.min_words

    @F.pandas_udf(T.StructType([T.StructField("words", T.IntegerType()),
                                T.StructField("hashes", T.ArrayType(T.LongType()))]))
    def hash_texts(texts: pd.Series) -> pd.DataFrame:
        grams = text_ngrams(list(texts), n, min_words, opts)
        return pd.DataFrame({"words": [w for w, _ in grams], "hashes": [h for _, h in grams]})

    texts = benchmark_texts(spark, b)
    hashed = texts.select("benchmark", hash_texts("text").alias("g")).where(F.col("g.words") > 0)
    return (hashed.select("benchmark", F.lit(fp).alias("fingerprint"), F.col("g.words").alias("words"),
                          F.explode("g.hashes").alias("ngram_hash")).distinct())


def find_contamination(docs: DataFrame, index: DataFrame, lengths: Sequence[int]) -> DataFrame:
    """(doc_id, benchmark, shared_ngrams) for every document of ``docs`` (doc_id, text) sharing at least one n-gram
    hash with ``index`` (benchmark, ngram_hash): the hashes are exploded on the executors and joined on the hash."""
    lengths = tuple(sorted(set(lengths)))

    @F.pandas_udf(T.ArrayType(T.LongType()))
    def hash_docs(texts: pd.Series) -> pd.Series:
        return pd.Series(document_ngrams(list(texts), lengths))

    grams = docs.select("doc_id", F.explode(hash_docs("text")).alias("ngram_hash"))
    keys = index.select("benchmark", "ngram_hash").distinct()
    return (grams.join(keys, "ngram_hash")
            .groupBy("doc_id", "benchmark").agg(F.count(F.lit(1)).cast("bigint").alias("shared_ngrams")))


@dataclass
class ActiveIndex:
    """The index a gold step joins against: the configured benchmarks at their current fingerprints."""

    fingerprints: dict[str, str]
    index: DataFrame
    lengths: tuple[int, ...]

    def for_benchmarks(self, names: Iterable[str]) -> "ActiveIndex":
        names = set(names)
        return dataclasses.replace(self, fingerprints={k: v for k, v in self.fingerprints.items() if k in names},
                                   index=self.index.where(F.col("benchmark").isin(*names)))



def sync_index(spark: SparkSession, cfg: PipelineConfig, run_id: str,
               progress: Callable[[str], None] = print) -> list[str]:
    """Index every configured benchmark that is new or changed (gold/benchmark_ngrams, gold/benchmarks); returns
    their names. Four commits whatever their number: index delete + append, registry delete + append; a rerun after
    a crash redoes the benchmarks whose registry rows were not yet written."""
    lake, retries = cfg.lake, cfg.ingest.write_retries
    reg_path = tables.ensure(spark, lake, GOLD_BENCHMARKS, retries=retries)
    idx_path = tables.ensure(spark, lake, GOLD_BENCHMARK_NGRAMS, retries=retries)
    known = {r.benchmark: r.fingerprint for r in
             tables.read(spark, lake, GOLD_BENCHMARKS).select("benchmark", "fingerprint").collect()}
    changed = [(b, fp) for b in configured(cfg) if known.get(b.name) != (fp := fingerprint(b, cfg))]
    if not changed:
        return []
    rows = None
    for b, fp in changed:
        one = index_rows(spark, b, fp, cfg)
        rows = one if rows is None else rows.unionByName(one)
    rows = persist_or_checkpoint(rows)
    key = ",".join(f"{b.name}@{fp[:12]}" for b, fp in changed)
    names = spark.createDataFrame([(b.name,) for b, _ in changed], "benchmark string")
    tables.delete_keys(spark, idx_path, names, "benchmark", (f"gold:index:{run_id}:{key}", 0), retries=retries)
    tables.append(spark, idx_path, rows, retries)
    sizes = {r.benchmark: r["count"] for r in rows.groupBy("benchmark").count().collect()}
    done = not (tables.exists(spark, lake, GOLD_DOCUMENTS) and cfg.gold.decontamination.recheck_existing)
    now = datetime.now(timezone.utc)
    reg_rows = []
    for b, fp in changed:
        n_texts = benchmark_texts(spark, b).count()
        reg_rows.append((b.name, fp, n_texts, sizes.get(b.name, 0), done, now, run_id))
        progress(f"gold: indexed benchmark {b.name}: {n_texts:,} texts, {sizes.get(b.name, 0):,} n-gram hashes")
    tables.delete_keys(spark, reg_path, names, "benchmark", (f"gold:registry:{run_id}:{key}", 0), retries=retries)
    tables.append(spark, reg_path, spark.createDataFrame(reg_rows, REGISTRY_SCHEMA), retries)
    release(rows)
    return [b.name for b, _ in changed]


def active_index(spark: SparkSession, cfg: PipelineConfig, version: int | None = None) -> ActiveIndex:
    """The index rows of the configured benchmarks at their registered fingerprints (gold/benchmark_ngrams at
    ``version``, the step's pinned one), and the distinct n-gram lengths documents must be cut into."""
    lake = cfg.lake
    reg = (tables.read(spark, lake, GOLD_BENCHMARKS).select("benchmark", "fingerprint").collect()
           if tables.exists(spark, lake, GOLD_BENCHMARKS) else [])
    wanted = {b.name for b in configured(cfg)}
    fps = {r.benchmark: r.fingerprint for r in reg if r.benchmark in wanted}
    idx = tables.read_at(spark, lake, GOLD_BENCHMARK_NGRAMS,
                         version if version is not None else tables.version(spark, lake, GOLD_BENCHMARK_NGRAMS),
                         INDEX_SCHEMA)
    cond = F.lit(False)
    for name, fp in fps.items():
        cond = cond | ((F.col("benchmark") == name) & (F.col("fingerprint") == fp))
    idx = idx.where(cond)
    lengths = tuple(sorted(r.words for r in idx.select("words").distinct().collect()))
    return ActiveIndex(fps, idx, lengths)


def decontaminate(decided: DataFrame, active: ActiveIndex, cfg: PipelineConfig) -> tuple[DataFrame, DataFrame]:
    """(decided with ``drop_reason`` set to decontamination:<benchmark> for contaminated candidates when the action
    is drop, the matches). Candidates are rows no rule dropped; a document matching several benchmarks is dropped
    under the first by name and listed under each."""
    candidates = decided.where(F.col("drop_reason").isNull()).select("doc_id", "text")
    if not active.lengths:
        return decided, decided.sparkSession.createDataFrame([], MATCHES_SCHEMA)
    matches = find_contamination(candidates, active.index, active.lengths).localCheckpoint(eager=True)
    if cfg.gold.decontamination.action != DECONTAMINATION_DROP:
        return decided, matches
    first = matches.groupBy("doc_id").agg(F.min("benchmark").alias("_benchmark"))
    reason = F.coalesce(F.col("drop_reason"),
                        F.when(F.col("_benchmark").isNotNull(), F.concat(F.lit(REASON_PREFIX), F.col("_benchmark"))))
    out = (decided.join(F.broadcast(first), "doc_id", "left").withColumn("drop_reason", reason)
           .withColumn("drop_family", F.split(F.col("drop_reason"), ":").getItem(0)).drop("_benchmark"))
    return out.select(*decided.columns), matches


def contamination_rows(matches: DataFrame, urls: DataFrame, cfg: PipelineConfig, run_id: str,
                       now: datetime) -> DataFrame:
    """gold/contamination rows: the matches with each document's URL, the action taken, the run."""
    action = ACTION_DROPPED if cfg.gold.decontamination.action == DECONTAMINATION_DROP else ACTION_FLAGGED
    return (matches.join(urls.select("doc_id", "url"), "doc_id", "left")
            .select("doc_id", "url", "benchmark", "shared_ngrams", F.lit(action).alias("action"),
                    F.lit(run_id).alias("gold_run_id"), F.lit(now).cast("timestamp").alias("decided_at")))


def write_contamination(spark: SparkSession, cfg: PipelineConfig, rows: DataFrame,
                        txn: tuple[str, int] | None) -> int:
    """Append to gold/contamination (created empty on first use); nothing is committed when there are no rows."""
    path = tables.ensure(spark, cfg.lake, GOLD_CONTAMINATION, retries=cfg.ingest.write_retries)
    rows = rows.localCheckpoint(eager=True)
    n = rows.count()
    if n:
        tables.append(spark, path, rows, cfg.ingest.write_retries, txn=txn)
    return n
