"""Typed pipeline configuration: dataclasses with defaults, loaded from TOML/YAML, overridden from the command line.

Every problem (unknown key, wrong type, bad value) raises ConfigError with one line naming the key, so jobs can
print it and exit 2.
"""

from __future__ import annotations

import dataclasses
import json
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

from etl import bundled
from etl.catalog import (
    ANY_LANGUAGE, BUNDLED_BENCHMARKS, NO_SPACE_LANGUAGES, RULES_BY_KEY, SUBSET_CRITERIA, TOXICITY_TIERS, Rule,
    family_order, rules_by_key,
)
from etl.io.sources import RetryPolicy
from etl.io.warc import SNIPPET_BYTES


# A JVM memory size as Spark takes it ("512m", "4g", "4096"), and an ISO 639-1/639-3 code with an optional subtag.
MEMORY_RE = re.compile(r"^\d+[kmgtp]?b?$", re.IGNORECASE)
LOG_LEVELS = ("OFF", "FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE", "ALL")  # log4j's
VOLUMES_PREFIX = "/Volumes/"  # Unity Catalog volumes hold files, not tables
# silver.toxicity_model_path's default: the toxicity model shipped in the package (etl.bundled.TOXICITY_MODEL,
# rebuilt by `make model`); TOXICITY_MODEL_OFF (or "") turns the classifier off.
BUNDLED_TOXICITY_MODEL = "bundled"
TOXICITY_MODEL_OFF = "none"
# export.tokenizer's default: the GPT-2 byte-level BPE shipped in etl/resources/tokenizers (etl.export.tokens);
# TOKENIZER_WORDS counts regex \w+ words instead of tokens.
BUNDLED_TOKENIZER = "gpt2"
TOKENIZER_WORDS = "words"
IDENTIFIER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}([-_][A-Za-z0-9]+)*$")


EXTRA_RULE_KEYS = frozenset({"family", "name", "signal", "op", "threshold", "description"})


class ConfigError(ValueError):
    """A bad config file, key or value; the message names it in one line."""


@dataclass
class SparkConfig:
    """How to build a local session when none is active (ignored on Databricks and under spark-submit)."""

    master: str = "local[*]"
    app_name: str = "cc-wet-etl"
    driver_memory: str = "4g"
    shuffle_partitions: int = 8
    arrow_batch_rows: int = 2000
    # The Spark UI (jobs, stages, SQL plans) while a run lasts; the jobs print its URL. The test session and
    # `make run` (a one-minute sample) turn it off.
    ui_enabled: bool = True
    log_level: str = "WARN"
    # Spark's log lines (log_level and above) go to this file; the console shows only console_log_level and above
    # ("ALL": everything log_level lets through; --verbose sets it). "" = a new file per run in the system's temp
    # directory; the job prints where. Only for a session the pipeline launches (not spark-submit or Databricks).
    log_file: str = ""
    console_log_level: str = "ERROR"
    extra_conf: dict[str, str] = field(default_factory=dict)


# The UT1 blocklist categories RefinedWeb applied (and FineWeb after it): the default of
# SilverConfig.url_blocklist_categories, and what etl.silver.urls may leave out while adult is not fetched.
REFINEDWEB_UT1_CATEGORIES: tuple[str, ...] = (
    "adult", "phishing", "dating", "gambling", "filehosting", "ddos", "agressif", "chat", "mixed_adult", "arjel",
)

DIGEST_QUARANTINE, DIGEST_FLAG = "quarantine", "flag"
DIGEST_MISMATCH_MODES = (DIGEST_QUARANTINE, DIGEST_FLAG)
# HTML -> text for WARC input (etl.bronze.formats.warc_html): resiliparse's main-content mode, or trafilatura
# (an optional install).
EXTRACTOR_RESILIPARSE, EXTRACTOR_TRAFILATURA = "resiliparse", "trafilatura"
EXTRACTORS = (EXTRACTOR_RESILIPARSE, EXTRACTOR_TRAFILATURA)
FORMAT_AUTO = "auto"  # ingest.format: each input file's format chosen from its name and first bytes
# A field of a JSONL/Parquet text dataset: a name, or names joined by dots into nested objects ("metadata.url").
FIELD_PATH_RE = re.compile(r"^[^.\s]+(\.[^.\s]+)*$")


@dataclass
class IngestConfig:
    """WET reading: batching, limits and remote-read behaviour."""

    # Files parsed and committed together; a crash loses at most one batch of work, never data.
    files_per_batch: int = 64
    # Records larger than this are quarantined instead of loaded (Common Crawl truncates payloads at 1 MiB).
    max_record_bytes: int = 16 * 1024 * 1024
    # Rows per Arrow batch leaving the Python parser; bounds worker memory together with the text size.
    batch_rows: int = 1000
    batch_text_bytes: int = 32 * 1024 * 1024
    snippet_chars: int = SNIPPET_BYTES
    # Prefix for relative paths in wet.paths(.gz) manifests.
    manifest_prefix: str = "https://data.commoncrawl.org/"
    # s3://commoncrawl/... is public over HTTPS too; other buckets go through boto3 when installed.
    s3_http_endpoint: str = "https://data.commoncrawl.org/"
    # Remote reads: etl.io.sources.RetryPolicy's defaults.
    http_max_retries: int = RetryPolicy.max_retries
    http_backoff_base_s: float = RetryPolicy.backoff_base_s
    http_backoff_max_s: float = RetryPolicy.backoff_max_s
    http_timeout_s: float = RetryPolicy.timeout_s
    write_retries: int = 5
    # A record whose WARC-Block-Digest does not match its block: "quarantine" it (default), or "flag": load it
    # and still write a digest_mismatch quarantine row naming it.
    on_digest_mismatch: str = DIGEST_QUARANTINE
    # A file inflating to more than this many times its stored size is a decompression bomb (WET text inflates
    # 3-10x); the rest of it is not read. Applies once 8 MiB have been inflated.
    max_decompression_ratio: float = 100.0
    # A file still being read after this many seconds is cut off (too_slow) so it cannot hold up its Spark task.
    max_file_seconds: float = 1800.0
    # Inputs that do not exist are an error (exit 2) unless this is set; then they are logged as unreachable.
    allow_missing_inputs: bool = False
    # Read local and s3a:// inputs through Spark's binaryFile source (Hadoop's FileSystem) instead of Python, e.g. for
    # S3A credentials or workers that do not share the driver's disk. hdfs://, abfss://, gs://, dbfs:/ always are;
    # http(s):// and s3:// (Common Crawl over HTTPS) never are.
    read_with_spark: bool = False
    # How input files are read (etl.bronze.formats, docs/sources.md): "auto" chooses per file from its name and
    # first bytes; or a registered format's name: wet, warc (HTML responses -> text), jsonl, parquet.
    format: str = FORMAT_AUTO
    # HTML -> text for WARC input: one of EXTRACTORS.
    extractor: str = EXTRACTOR_RESILIPARSE
    # Fields of JSONL/Parquet text datasets (datatrove's and Dolma's layout: text, id, metadata{url, ...}). A name
    # is looked up at the top level, then under "metadata"; a dotted path names nested fields. Rows without an id
    # get source_file + row number as identity.
    text_field: str = "text"
    id_field: str = "id"
    url_field: str = "url"


@dataclass(frozen=True)
class NormalizeOptions:
    """Switches for :func:`normalize_text`; the defaults are the silver-layer recipe."""

    nfkc: bool = True
    collapse_whitespace: bool = True
    strip_control: bool = True
    max_repeated_punct: int = 3
    arabic_remove_tatweel: bool = True
    arabic_remove_diacritics: bool = True
    arabic_unify_alef: bool = True
    arabic_alef_maqsura_to_yeh: bool = False
    arabic_teh_marbuta_to_heh: bool = False
    digits_to_ascii: bool = True

    def __post_init__(self) -> None:
        if self.max_repeated_punct < 0:
            raise ValueError(f"max_repeated_punct must be >= 0, got {self.max_repeated_punct}")


@dataclass
class SilverConfig:
    """Signals: normalisation, language id, quality and toxicity scores (no decisions here)."""

    # Languages the run is for (canonical codes like "ar", "en"); empty means every language. With a list, documents
    # whose Common Crawl header rules them out skip language id and the other signals (cheap before expensive).
    languages: list[str] = field(default_factory=list)
    # Use Common Crawl's header language: to rule documents out (above) and for a text too short to judge (langid).
    use_header_language: bool = True
    langid_max_chars: int = 1000
    # Field names of etl.models.normalize.NormalizeOptions; unspecified fields keep their defaults.
    normalize: dict[str, Any] = field(default_factory=dict)
    # A Spark ML model saved by jobs/train_toxicity.py. The default, BUNDLED_TOXICITY_MODEL, is the model shipped
    # inside the package (etl/resources/toxicity_model, docs/toxicity.md); "none" or "" turns the classifier off.
    toxicity_model_path: str | None = BUNDLED_TOXICITY_MODEL
    # A model saved by jobs/train_toxicity_embedding.py (tox_embed_score: multilingual sentence embedding of the
    # first window + logistic regression, docs/toxicity.md); BUNDLED_TOXICITY_MODEL is the shipped one, "none" off.
    toxicity_embedding_model_path: str | None = BUNDLED_TOXICITY_MODEL
    url_blocklist: str | None = None
    url_allowlist: str | None = None
    # UT1 categories added to the blocklist (etl.silver.urls.ut1_list_paths): RefinedWeb's ten. All but adult are
    # bundled; adult is used once fetched (docs/url_filters.md). An empty list applies none.
    url_blocklist_categories: list[str] = field(default_factory=lambda: list(REFINEDWEB_UT1_CATEGORIES))
    # Extra allow-list entries for the hard-banned URL words found inside tokens (a local file, one per line).
    url_banned_allowlist: str | None = None
    # A Spark ML model saved by jobs/train_quality.py; None leaves quality_model_score null.
    quality_model_path: str | None = None
    # A topic/format model saved by jobs/train_domains.py; None uses the one bundled in etl/resources/domain_model.
    domain_model_path: str | None = None
    # Your own scorers, as "package.module:factory" (factory(cfg) returns an etl.silver.scorers.Scorer); silver
    # keeps every column they declare, and gold.extra_rules can drop on them.
    scorers: list[str] = field(default_factory=list)


# gold.dedup's choices, named once: shingle kinds, hash modes, verification methods, survivor directions.
SHINGLE_KINDS = ("word", "char", "auto")  # auto: char n-grams for text written without spaces
HASH_MODES = ("fast", "datasketch")  # datasketch: bit-identical to datasketch.MinHash, ~4x slower
VERIFY_METHODS = ("exact",)  # the two texts' shingle sets (history keeps band keys, not signatures)
SURVIVOR_DIRECTIONS = ("asc", "desc")
MAX_SEED = 2**32 - 1  # numpy's RandomState (datasketch's permutations) takes seeds in [0, 2^32)
DEDUP_KEY = "gold.dedup"


@dataclass(frozen=True)
class DedupConfig:
    """MinHash LSH near-dedup and exact dedup: one frozen object, checked whole when built (so a bad value exits 2
    at load time), passed as-is to etl.gold.minhash, etl.gold.lsh, etl.gold.dedup and etl.gold.components."""

    enabled: bool = True
    exact: bool = True
    # Measured on 10,000 documents with planted near-duplicates (evals/dedup_eval.py): 256 permutations, bands
    # tuned for J 0.6 (32 x 8) and linking only candidates whose exact shingle Jaccard is >= 0.8 give precision
    # 0.990 and recall 1.000 for pairs with exact J >= 0.8; verifying on the signature estimate instead (cheaper,
    # no text needed) gave 0.952 / 0.991 with bands for 0.7 and a 0.77 cut.
    num_perm: int = 256
    seed: int = 1
    ngram: int = 5
    kind: str = "auto"  # one of SHINGLE_KINDS
    mode: str = "fast"  # one of HASH_MODES
    # Jaccard similarity the banding is tuned for: bands x rows is datasketch's optimum for (threshold, num_perm)
    # unless both are given, and then bands x rows must equal num_perm.
    threshold: float = 0.6
    bands: int | None = None
    rows: int | None = None
    # Candidate pairs below this Jaccard are not linked; None links every LSH candidate.
    verify_threshold: float | None = 0.8
    verify_method: str = "exact"  # one of VERIFY_METHODS
    # Which copy of a cluster survives: an ordered list of "column asc|desc" over silver columns; doc_id last.
    survivor_order: tuple[str, ...] = ("gopher_n_words desc", "warc_date asc", "doc_id asc")
    max_iterations: int = 64  # connected-components rounds (log^2 of a component's size; real graphs settle in < 20)

    def __post_init__(self) -> None:
        object.__setattr__(self, "survivor_order", tuple(self.survivor_order))
        for key in ("num_perm", "ngram", "max_iterations"):
            if getattr(self, key) < 1:
                raise ConfigError(f"{DEDUP_KEY}.{key} must be >= 1, got {getattr(self, key)}")
        if not 0 <= self.seed <= MAX_SEED:
            raise ConfigError(f"{DEDUP_KEY}.seed must be in [0, {MAX_SEED}], got {self.seed}")
        for key, allowed in (("kind", SHINGLE_KINDS), ("mode", HASH_MODES), ("verify_method", VERIFY_METHODS)):
            if getattr(self, key) not in allowed:
                raise ConfigError(f"{DEDUP_KEY}.{key} must be one of {', '.join(allowed)}, got {getattr(self, key)!r}")
        if not 0 < self.threshold <= 1:
            raise ConfigError(f"{DEDUP_KEY}.threshold must be in (0, 1], got {self.threshold}")
        if self.verify_threshold is not None and not 0 <= self.verify_threshold <= 1:
            raise ConfigError(f"{DEDUP_KEY}.verify_threshold must be in [0, 1] or unset, got {self.verify_threshold}")
        self._check_bands_rows()
        for item in self.survivor_order:
            parts = item.split() if isinstance(item, str) else []
            if len(parts) != 2 or parts[1] not in SURVIVOR_DIRECTIONS:
                raise ConfigError(f"{DEDUP_KEY}.survivor_order items look like 'warc_date asc', got {item!r}")

    def _check_bands_rows(self) -> None:
        """An explicit (bands, rows) must use every permutation: fewer would hash permutations no band reads."""
        if (self.bands is None) != (self.rows is None):
            raise ConfigError(f"{DEDUP_KEY}.bands and {DEDUP_KEY}.rows go together: set both or neither "
                              f"(got bands={self.bands}, rows={self.rows})")
        if self.bands is None or self.rows is None:
            return
        if self.bands < 1 or self.rows < 1 or self.bands * self.rows != self.num_perm:
            raise ConfigError(f"{DEDUP_KEY}.bands x {DEDUP_KEY}.rows must equal {DEDUP_KEY}.num_perm: "
                              f"{self.bands} x {self.rows} = {self.bands * self.rows}, num_perm = {self.num_perm}")


# gold.pii: what gold does with the personal data silver counted (docs/pii.md).
PII_OFF, PII_REDACT, PII_DROP = "off", "redact", "drop"
PII_MODES = (PII_OFF, PII_REDACT, PII_DROP)
# gold.decontamination.action: drop a document that shares an n-gram with a benchmark, or keep it and list it.
DECONTAMINATION_DROP, DECONTAMINATION_FLAG = "drop", "flag"
DECONTAMINATION_ACTIONS = (DECONTAMINATION_DROP, DECONTAMINATION_FLAG)
BENCHMARK_KEYS = frozenset({"name", "path", "fields"})


@dataclass
class DecontaminationConfig:
    """Benchmark decontamination (etl.gold.decontamination): word n-grams of benchmark texts joined against gold's
    candidates. Runs while gold.families lists "decontamination" and there is at least one benchmark."""

    # Bundled benchmarks to use (etl/resources/benchmarks): GSM8K's test set and HumanEval by default.
    bundled: list[str] = field(default_factory=lambda: list(BUNDLED_BENCHMARKS))
    # Your own: [{name, path, fields}] where path is a JSONL file (.gz too) and fields the text fields to index.
    benchmarks: list[dict[str, Any]] = field(default_factory=list)
    # Word n-gram length (GPT-3's and OLMo's 13); a benchmark text with fewer words is one n-gram of all of them.
    ngram: int = 13
    # Benchmark texts with fewer words than this are not indexed (one-line solutions such as "return a + b").
    min_words: int = 8
    action: str = DECONTAMINATION_DROP
    # Adding a benchmark re-checks the documents already in gold once (one pass over their text).
    recheck_existing: bool = True


@dataclass
class GoldConfig:
    """Decisions: which rule families run, thresholds (global and per language), dedup."""

    # Every family of the catalog's rule rows by default (etl.catalog.family_order), in evaluation order.
    families: list[str] = field(default_factory=lambda: list(family_order()))
    rule_overrides: dict[str, float] = field(default_factory=dict)
    language_overrides: dict[str, dict[str, float]] = field(default_factory=dict)
    min_language_score: float = RULES_BY_KEY["language:low_score"].threshold
    # Languages whose word-based rules read the character-split signals (silver's *_charwords columns): scripts
    # written without spaces, where an English tokenizer sees a whole sentence as one word.
    char_word_languages: list[str] = field(default_factory=lambda: list(NO_SPACE_LANGUAGES))
    # Toxicity of the Commons tiers that are set aside (kept in gold/rejections, not destroyed).
    toxicity_drop_tiers: list[str] = field(default_factory=lambda: ["toxic"])
    # Drop when LDNOOBW hits / words (silver's obscenity_word_ratio) is above this: Data-Juicer's
    # flagged_word_filter default max_ratio. A ratio, not a count, so a long article is not dropped for a few
    # words ("domination" x12 in 5,000 words is 0.0024) while a short page made of them is.
    max_badword_ratio: float = RULES_BY_KEY["badwords:ldnoobw_ratio"].threshold
    # Drop when tox_model_score > this. None: the thresholds chosen on validation data and saved beside the model
    # by jobs/train_toxicity.py (global and per language, filled in by load_config), else DEFAULT_MODEL_TOXICITY.
    max_model_toxicity: float | None = None
    # Drop on the bundled model's score (silver.toxicity_model_path left at its default) with its validated
    # thresholds. Off by default: it flags 10-40% of HateCheck's non-hateful cases (mentions, counter-speech) in
    # some languages (docs/toxicity.md), so gold drops on the lexicon tier and the score is stored. A model you
    # name in silver.toxicity_model_path, or a gold.max_model_toxicity you set, always applies.
    bundled_model_rule: bool = False
    # Drop when quality_model_score < this; None (the default) stores the score and drops nothing.
    min_quality_score: float | None = None
    # Rules over any silver column, your scorers' included: {family, name, signal, op, threshold[, description]}.
    # They run after the built-in families, in the order given; gold.families need not list their family.
    extra_rules: list[dict[str, Any]] = field(default_factory=list)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    # Personal data (silver's pii_* counts): "redact" rewrites it in gold's text (docs/pii.md), "drop" also drops
    # documents with more than max_pii_count matches (rule pii:too_many), "off" leaves the text as crawled.
    pii: str = PII_REDACT
    max_pii_count: int = RULES_BY_KEY["pii:too_many"].threshold
    decontamination: DecontaminationConfig = field(default_factory=DecontaminationConfig)
    # Thresholds of the code/math/Q&A flags gold derives ("subset:criterion" -> value, e.g. "math:latex_commands");
    # the defaults are in etl.catalog.SUBSETS. Stored signals are read, so changing one needs a gold rebuild only.
    subset_thresholds: dict[str, float] = field(default_factory=dict)

    def custom_rules(self) -> tuple[Rule, ...]:
        """gold.extra_rules as catalog Rules, checked: known keys, an operator, a new family:name."""
        rules = []
        for i, spec in enumerate(self.extra_rules):
            where = f"gold.extra_rules[{i}]"
            unknown = set(spec) - EXTRA_RULE_KEYS
            missing = EXTRA_RULE_KEYS - {"description"} - set(spec)
            if unknown or missing:
                raise ConfigError(f"{where}: needs {sorted(EXTRA_RULE_KEYS - {'description'})}"
                                  f"{f', unknown {sorted(unknown)}' if unknown else ''}")
            try:
                rule = Rule(str(spec["family"]), str(spec["name"]), str(spec["signal"]), str(spec["op"]),
                            spec["threshold"], str(spec.get("description", "")))
            except ValueError as exc:
                raise ConfigError(f"{where}: {exc}") from None
            if rule.key in rules_by_key() or rule.key in {r.key for r in rules}:
                raise ConfigError(f"{where}: rule {rule.key} already exists")
            rules.append(rule)
        return tuple(rules)


@dataclass
class ExportConfig:
    """export: how exported documents are counted (per document, per shard and in the manifest)."""

    # A Hugging Face `tokenizers` JSON file (tokenizer.json, or gzipped), BUNDLED_TOKENIZER, or TOKENIZER_WORDS.
    tokenizer: str = BUNDLED_TOKENIZER


@dataclass
class PipelineConfig:
    """Everything a job needs; sections mirror the layers."""

    lake: str = "lake"
    # Register every table in a metastore as <catalog>.<schema>.<table> (bronze/documents -> bronze_documents): Spark's
    # session catalog locally, Unity Catalog on Databricks. None: path-based tables only.
    catalog: str | None = None
    schema: str | None = None
    spark: SparkConfig = field(default_factory=SparkConfig)
    ingest: IngestConfig = field(default_factory=IngestConfig)
    silver: SilverConfig = field(default_factory=SilverConfig)
    gold: GoldConfig = field(default_factory=GoldConfig)
    export: ExportConfig = field(default_factory=ExportConfig)

    def validate(self) -> "PipelineConfig":
        """Value checks that types alone cannot express."""
        positive = {
            "ingest.files_per_batch": self.ingest.files_per_batch,
            "ingest.max_record_bytes": self.ingest.max_record_bytes,
            "ingest.batch_rows": self.ingest.batch_rows,
            "ingest.batch_text_bytes": self.ingest.batch_text_bytes,
            "ingest.max_decompression_ratio": self.ingest.max_decompression_ratio,
            "ingest.max_file_seconds": self.ingest.max_file_seconds,
            "spark.shuffle_partitions": self.spark.shuffle_partitions,
        }
        for key, value in positive.items():
            if value <= 0:
                raise ConfigError(f"{key} must be > 0, got {value}")
        if self.ingest.http_max_retries < 0:
            raise ConfigError(f"ingest.http_max_retries must be >= 0, got {self.ingest.http_max_retries}")
        if not IDENTIFIER_RE.match(self.ingest.format):
            raise ConfigError(f"ingest.format must be auto or a format name (wet, warc, jsonl, parquet), "
                              f"got {self.ingest.format!r}")
        if self.ingest.extractor not in EXTRACTORS:
            raise ConfigError(f"ingest.extractor must be one of {EXTRACTORS}, got {self.ingest.extractor!r}")
        for key in ("text_field", "id_field", "url_field"):
            if not FIELD_PATH_RE.match(getattr(self.ingest, key)):
                raise ConfigError(f"ingest.{key} must be a field name or a dotted path, "
                                  f"got {getattr(self.ingest, key)!r}")
        if self.ingest.on_digest_mismatch not in DIGEST_MISMATCH_MODES:
            raise ConfigError(f"ingest.on_digest_mismatch must be one of {DIGEST_MISMATCH_MODES}, "
                              f"got {self.ingest.on_digest_mismatch!r}")
        if not self.lake:
            raise ConfigError("lake must be a non-empty path")
        if not self.export.tokenizer.strip():
            raise ConfigError(f"export.tokenizer must be {BUNDLED_TOKENIZER}, {TOKENIZER_WORDS} or a tokenizer.json path")
        for key, name in (("catalog", self.catalog), ("schema", self.schema)):
            if name is not None and not IDENTIFIER_RE.match(name):
                raise ConfigError(f"{key} must be a plain identifier (letters, digits, _), got {name!r}")
        if self.catalog and not self.schema:
            raise ConfigError("catalog needs a schema too (tables are registered as catalog.schema.table)")
        if self.schema and self.lake.startswith(VOLUMES_PREFIX):
            raise ConfigError(f"tables under {VOLUMES_PREFIX} cannot be registered in Unity Catalog: put the lake on "
                              "an external location (abfss://, s3://, gs://) to use schema/catalog")
        for level_key, level in (("spark.log_level", self.spark.log_level),
                                 ("spark.console_log_level", self.spark.console_log_level)):
            if level.upper() not in LOG_LEVELS:
                raise ConfigError(f"{level_key} must be one of {', '.join(LOG_LEVELS)}, got {level!r}")
        if not MEMORY_RE.match(self.spark.driver_memory):
            raise ConfigError(f"spark.driver_memory must look like 512m, 4g or 1t (JVM sizes), "
                              f"got {self.spark.driver_memory!r}")
        for where, codes in (("silver.languages", self.silver.languages),
                             ("gold.char_word_languages", self.gold.char_word_languages)):
            for code in codes:
                if not isinstance(code, str) or not LANGUAGE_RE.match(code):
                    raise ConfigError(f"{where}: {code!r} is not a language code (ISO 639-1/3, e.g. 'ar', 'en', 'zh')")
        for threshold_key, value in (("gold.min_language_score", self.gold.min_language_score),
                                     ("gold.max_badword_ratio", self.gold.max_badword_ratio)):
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"{threshold_key} must be between 0 and 1, got {value}")
        self._validate_layers()
        return self

    def _validate_layers(self) -> None:
        known_options = {f.name for f in dataclasses.fields(NormalizeOptions)}
        for key in self.silver.normalize:
            if key not in known_options:
                raise ConfigError(f"unknown key 'silver.normalize.{key}' (known: {', '.join(sorted(known_options))})")
        known_rules = set(rules_by_key()) | {r.key for r in self.gold.custom_rules()}
        for where, overrides in [("gold.rule_overrides", self.gold.rule_overrides),
                                 *[(f"gold.language_overrides.{lang}", o)
                                   for lang, o in self.gold.language_overrides.items()]]:
            for key in overrides:
                if key in REPLACED_RULES:
                    raise ConfigError(f"rule '{key}' in {where} was replaced by '{REPLACED_RULES[key]}'")
                if key not in known_rules:
                    raise ConfigError(f"unknown rule '{key}' in {where} (rules look like 'c4:too_few_sentences')")
        for threshold_key, optional in (("gold.min_quality_score", self.gold.min_quality_score),):
            if optional is not None and not 0.0 <= optional <= 1.0:
                raise ConfigError(f"{threshold_key} must be between 0 and 1, got {optional}")
        self.gold.custom_rules()  # raises ConfigError on a malformed rule
        for key in self.gold.subset_thresholds:
            if key not in SUBSET_CRITERIA:
                raise ConfigError(f"unknown subset threshold '{key}' in gold.subset_thresholds "
                                  f"(known: {', '.join(SUBSET_CRITERIA)})")
        for tier in self.gold.toxicity_drop_tiers:
            if tier not in TOXICITY_TIERS[1:]:
                raise ConfigError(f"unknown tier '{tier}' in gold.toxicity_drop_tiers "
                                  f"(known: {', '.join(TOXICITY_TIERS[1:])})")
        families = set(family_order()) | {r.family for r in self.gold.custom_rules()}
        for fam in self.gold.families:
            if fam not in families:
                raise ConfigError(f"unknown rule family '{fam}' in gold.families (known: {', '.join(sorted(families))})")
        self._validate_privacy()

    def _validate_privacy(self) -> None:
        """gold.pii and gold.decontamination: modes, sizes, benchmark names and specs."""
        g, dc = self.gold, self.gold.decontamination
        if g.pii not in PII_MODES:
            raise ConfigError(f"gold.pii must be one of {', '.join(PII_MODES)}, got {g.pii!r}")
        if g.max_pii_count < 0:
            raise ConfigError(f"gold.max_pii_count must be >= 0, got {g.max_pii_count}")
        if dc.action not in DECONTAMINATION_ACTIONS:
            raise ConfigError(f"gold.decontamination.action must be one of {', '.join(DECONTAMINATION_ACTIONS)}, "
                              f"got {dc.action!r}")
        for key, value in (("ngram", dc.ngram), ("min_words", dc.min_words)):
            if value < 1:
                raise ConfigError(f"gold.decontamination.{key} must be >= 1, got {value}")
        names = []
        for name in dc.bundled:
            if name not in BUNDLED_BENCHMARKS:
                raise ConfigError(f"gold.decontamination.bundled: unknown benchmark {name!r} "
                                  f"(bundled: {', '.join(BUNDLED_BENCHMARKS)})")
            names.append(name)
        for i, spec in enumerate(dc.benchmarks):
            where = f"gold.decontamination.benchmarks[{i}]"
            if set(spec) != BENCHMARK_KEYS:
                raise ConfigError(f"{where}: needs exactly {sorted(BENCHMARK_KEYS)}, got {sorted(spec)}")
            fields = spec["fields"]
            if not isinstance(fields, list) or not fields or not all(isinstance(f, str) and f for f in fields):
                raise ConfigError(f"{where}.fields must be a non-empty list of field names, got {fields!r}")
            if not isinstance(spec["name"], str) or not IDENTIFIER_RE.match(spec["name"]):
                raise ConfigError(f"{where}.name must be letters, digits or _, got {spec['name']!r}")
            names.append(spec["name"])
        if len(names) != len(set(names)):
            raise ConfigError(f"gold.decontamination: benchmark names must be unique, got {names}")


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


# How `--set` spells booleans and lists; the errors quote these forms.
BOOL_WORDS = {"true": True, "yes": True, "on": True, "1": True, "false": False, "no": False, "off": False, "0": False}
BOOL_FORMS = "true/false, yes/no, on/off, 1/0"
LIST_FORMS = "a,b or [a,b] (a single value is a one-item list; empty is an empty list)"


@dataclass(frozen=True)
class SetText:
    """A `--set key=value` value as typed: read against the key's type once it is known (see `_from_set_text`)."""

    text: str


def _toml_value(text: str) -> Any:
    """``text`` as a TOML value (3, 0.5, true, "x", [1, 2]); bare words stay strings."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _from_set_text(text: str, tp: Any, key: str) -> Any:
    """A `--set` value for a key of type ``tp``: lists as a,b or [a,b], booleans as yes/no/on/off/1/0 too, strings
    as typed; anything else as TOML."""
    origin = typing.get_origin(tp)
    if tp is bool:
        word = text.strip().lower()
        if word not in BOOL_WORDS:
            raise ConfigError(f"{key} must be true or false ({BOOL_FORMS}), got {text!r}")
        return BOOL_WORDS[word]
    if origin in (list, tuple):
        parsed = _toml_value(text)
        if isinstance(parsed, list):
            return parsed
        inner = text.strip()
        if inner.startswith("[") and inner.endswith("]"):
            inner = inner[1:-1]
        return [_toml_value(item.strip()) for item in inner.split(",") if item.strip()]
    if tp is str:
        parsed = _toml_value(text)
        return parsed if isinstance(parsed, str) else text
    return _toml_value(text)


def _flatten(mapping: dict, prefix: str = "") -> dict:
    """{"a": {"b": v}} -> {"a.b": v}."""
    out: dict = {}
    for k, v in mapping.items():
        name = f"{prefix}{k}"
        out.update(_flatten(v, f"{name}.") if isinstance(v, dict) else {name: v})
    return out


def _resolve_set_text(value: Any, tp: Any, key: str) -> Any:
    """A mapping's value as given, with `--set` text in it (e.g. --set spark.extra_conf.x=y) read as ``tp``."""
    if isinstance(value, SetText):
        return _from_set_text(value.text, tp, key)
    if isinstance(value, dict) and typing.get_origin(tp) is dict:
        (_key_tp, value_tp) = typing.get_args(tp)
        return {k: _resolve_set_text(v, value_tp, f"{key}.{k}") for k, v in value.items()}
    return value


def _coerce(value: Any, tp: Any, key: str) -> Any:
    """Check (and gently convert) one value against its annotated type."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _coerce(value, args[0], key)
    if isinstance(value, SetText):
        value = _from_set_text(value.text, tp, key)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(f"{key} must be a table/mapping, got {type(value).__name__}")
        return _build(tp, value, key)
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{key} must be a list (--set {key}={LIST_FORMS}), got {type(value).__name__}")
        (item_tp, *_) = typing.get_args(tp) or (Any,)
        items = [_coerce(v, item_tp, f"{key}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{key} must be a table/mapping, got {type(value).__name__}")
        (_key_tp, value_tp) = typing.get_args(tp) or (str, Any)
        if value_tp is str:  # dotted names such as Spark confs: --set spark.extra_conf.spark.sql.x=y nests them
            value = _flatten(value)
        return {k: _resolve_set_text(v, value_tp, f"{key}.{k}") for k, v in value.items()}
    if tp is Any:
        return value
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{key} must be true or false (--set {key}={BOOL_FORMS}), got {value!r}")
    if tp is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if tp is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if tp is str and isinstance(value, str):
        return value
    raise ConfigError(f"{key} must be {_type_name(tp)}, got {value!r}")


# Keys of earlier versions, with what replaces them, so an old config fails with a way forward.
REPLACED_KEYS = {
    "gold.max_badword_hits": f"use gold.max_badword_ratio (LDNOOBW hits per word, default "
                             f"{GoldConfig.max_badword_ratio}); the rule is now 'badwords:ldnoobw_ratio'",
}

REPLACED_RULES = {"badwords:ldnoobw_hits": "badwords:ldnoobw_ratio"}


def _build(cls: type, data: dict, prefix: str = "") -> Any:
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        where = f"{prefix}." if prefix else ""
        key = f"{where}{unknown[0]}"
        if key in REPLACED_KEYS:
            raise ConfigError(f"config key '{key}' was replaced: {REPLACED_KEYS[key]}")
        raise ConfigError(f"unknown config key '{key}' (known: {', '.join(sorted(names))})")
    kwargs = {k: _coerce(v, hints[k], f"{prefix}.{k}" if prefix else k) for k, v in data.items()}
    return cls(**kwargs)


def _read_file(path: str | Path) -> dict:
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file not found: {p}")
    text = p.read_text(encoding="utf-8")
    try:
        if p.suffix.lower() == ".toml":
            return tomllib.loads(text)
        if p.suffix.lower() in (".yaml", ".yml"):
            import yaml

            return yaml.safe_load(text) or {}
        if p.suffix.lower() == ".json":
            return json.loads(text)
    except Exception as exc:
        raise ConfigError(f"cannot parse {p}: {_parse_error(exc)}") from None
    raise ConfigError(f"config file must be .toml, .yaml, .yml or .json: {p}")


def _parse_error(exc: Exception) -> str:
    """One line naming line and column: TOML and JSON messages already do; YAML keeps them in its marks."""
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"
    return str(exc).splitlines()[0]


def _set_dotted(data: dict, dotted: str, raw: str) -> None:
    """Apply one `section.key=value` override; the value is read against the key's type when the config is built
    (`_from_set_text`: TOML, plus a,b lists and yes/no booleans)."""
    keys = dotted.split(".")
    value = SetText(raw)
    node = data
    for k in keys[:-1]:
        node = node.setdefault(k, {})
        if not isinstance(node, dict):
            raise ConfigError(f"cannot set {dotted}: {k} is not a section")
    node[keys[-1]] = value


def _merge(base: dict, update: dict) -> dict:
    out = dict(base)
    for k, v in update.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def load_config(
    path: str | Path | list[str | Path] | None = None,
    overrides: dict[str, Any] | None = None,
    sets: list[str] | None = None,
) -> PipelineConfig:
    """Defaults < config file(s), later ones over earlier (a preset, then the user's file) < `--set a.b=v` strings
    < explicit overrides (dotted keys, None means 'not given')."""
    data: dict = {}
    for one in ([path] if isinstance(path, (str, Path)) else path or []):
        data = _merge(data, _read_file(one))
    for item in sets or []:
        if "=" not in item:
            raise ConfigError(f"--set expects key=value, got {item!r}")
        key, raw = item.split("=", 1)
        _set_dotted(data, key.strip(), raw.strip())
    for dotted, value in (overrides or {}).items():
        if value is None:
            continue
        nested: dict = {}
        node = nested
        parts = dotted.split(".")
        for k in parts[:-1]:
            node = node.setdefault(k, {})
        node[parts[-1]] = value
        data = _merge(data, nested)
    return with_model_thresholds(_build(PipelineConfig, data).validate())


MODEL_THRESHOLDS_FILE = "etl_thresholds.json"  # written beside a toxicity model by jobs/train_toxicity.py
MODEL_SCORE_RULE = "toxicity:model_score"
MODEL_SCORE_RULE_DEFAULT = RULES_BY_KEY[MODEL_SCORE_RULE]
DEFAULT_MODEL_TOXICITY = MODEL_SCORE_RULE_DEFAULT.threshold  # only for a model saved without thresholds
MODEL_RULE_OFF = 1.0  # a probability is never above it: the model rule's threshold when it is off


def toxicity_model_source(model_path: str | None) -> str | None:
    """The model to score with: a path, BUNDLED_TOXICITY_MODEL, or None when the classifier is turned off."""
    if model_path is None or model_path.strip().lower() in ("", TOXICITY_MODEL_OFF):
        return None
    return model_path


def bundled_toxicity_model() -> Traversable:
    """The shipped model's folder (a directory, or a folder inside the zip executors import ``etl`` from)."""
    return bundled.resource(bundled.TOXICITY_MODEL)


def model_thresholds(model_path: str | None) -> dict[str, float] | None:
    """``{"*": t, lang: t}`` saved beside a local model, or None (no model, a remote path, or no file)."""
    model_path = toxicity_model_source(model_path)
    if model_path is None:
        return None
    if model_path == BUNDLED_TOXICITY_MODEL:  # absent only while `make model` rebuilds it
        file = bundled_toxicity_model() / MODEL_THRESHOLDS_FILE
        if not file.is_file():
            return None
        return {str(k): float(v) for k, v in json.loads(file.read_text(encoding="utf-8"))["thresholds"].items()}
    from etl.io.sources import has_scheme, local_path

    if has_scheme(model_path):
        return None  # a remote store: the job printed the thresholds to put in the config
    local = Path(local_path(model_path))
    file = local / MODEL_THRESHOLDS_FILE
    if not file.is_file():
        return None
    try:
        return {str(k): float(v) for k, v in json.loads(file.read_text(encoding="utf-8"))["thresholds"].items()}
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{file}: not a thresholds file ({exc})") from None


def with_model_thresholds(cfg: PipelineConfig) -> PipelineConfig:
    """Fill gold's model-score thresholds from the model's own file where the user left them unset."""
    saved = model_thresholds(cfg.silver.toxicity_model_path)
    g = cfg.gold
    bundled = toxicity_model_source(cfg.silver.toxicity_model_path) == BUNDLED_TOXICITY_MODEL
    if g.max_model_toxicity is None and bundled and not g.bundled_model_rule:
        g.max_model_toxicity = MODEL_RULE_OFF
    if g.max_model_toxicity is None:
        g.max_model_toxicity = saved.get(ANY_LANGUAGE, DEFAULT_MODEL_TOXICITY) if saved else DEFAULT_MODEL_TOXICITY
        for lang, value in (saved or {}).items():
            if lang != ANY_LANGUAGE:
                g.language_overrides.setdefault(lang, {}).setdefault(MODEL_SCORE_RULE, value)
    return cfg


def config_as_dict(cfg: PipelineConfig) -> dict:
    """Plain dict for reports and dataset cards."""
    return dataclasses.asdict(cfg)
