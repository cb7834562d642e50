"""The scorer seam: a scorer declares the silver columns it adds (catalog Signals) and adds exactly those.

Silver runs a list of scorers over new bronze rows and keeps every declared column, so gold can have a rule on any
of them (``gold.extra_rules``). Built in: the fused Arrow pass (language, Gopher/C4/FineWeb quality, toxicity
lexicon and badwords), the URL filters, the trained models (toxicity classifier and dimensions, the multilingual
embedding toxicity score, quality), personal-data counts, code/math/Q&A signals and topic/format labels. A user's
scorer is a ``module:factory`` in ``silver.scorers``; ``factory(cfg)`` returns a Scorer. A Python
model subclasses PythonScorer: ``load()`` runs once per Python worker, ``score()`` once per Arrow batch.
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Iterator, Mapping, Sequence

import pandas as pd
import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from etl.catalog import (
    BUILTIN_SCORER_SIGNALS, DOCUMENT_COLUMNS, DOMAIN_SIGNALS, EMBEDDING_MODEL_SIGNALS, MODEL_SIGNALS, PII_COUNT_COLUMNS, PII_SIGNALS, QUALITY_MODEL_SIGNALS,
    SIGNALS_BY_NAME, SUBSET_SIGNALS, URL_SIGNALS, Signal,
)
from etl.config import BUNDLED_TOXICITY_MODEL, PipelineConfig, toxicity_model_source
from etl.models.domain_model import load_domain_model
from etl.models.domain_predict import predict_labels
from etl.silver.pii import count_pii
from etl.silver.subsets import score_texts
from etl.silver.signals import ARROW_TYPES, arrow_signal_mapper, signal_schema, spark_ddl
from etl.spark import is_connect

_CONNECT_WARNED: list[bool] = []  # the Connect warning is printed once per process

SPARK_TYPES = {"int": T.IntegerType(), "bigint": T.LongType(), "double": T.DoubleType(), "boolean": T.BooleanType(),
               "string": T.StringType(), "timestamp": T.TimestampType(), "array<string>": T.ArrayType(T.StringType())}
BRONZE_COLUMNS = tuple(c.name for c in DOCUMENT_COLUMNS)


def null_columns(signals: Sequence[Signal]) -> list:
    """Typed null columns for a scorer that is turned off (or cannot run here): the schema stays the same."""
    return [F.lit(None).cast(SPARK_TYPES[s.type]).alias(s.name) for s in signals]


# Models loaded in this Python worker, by scorer key: Spark reuses workers across tasks, so each loads once.
_LOADED: dict[str, Any] = {}


class Scorer(ABC):
    """Adds the columns in ``signals`` (name, type, family, description) to silver rows, and nothing else."""

    name: ClassVar[str] = "scorer"
    # True for scorers whose plan re-reads its input many times over (a Spark ML pipeline per text window): silver
    # materialises the frame before the first of them, so the Python scorers upstream run once, not once per use.
    materialise_input: ClassVar[bool] = False
    # True for scorers that read only bronze's and the built-in pass's columns: silver may run a later Python scorer
    # before them (etl.silver.scorers.python_passes), so several Python scorers share one Arrow pass.
    reads_only_documents: ClassVar[bool] = False

    @property
    @abstractmethod
    def signals(self) -> tuple[Signal, ...]:
        """The declared output columns, in order."""

    @abstractmethod
    def apply(self, df: DataFrame) -> DataFrame:
        """``df`` plus the declared columns."""


class PythonScorer(Scorer):
    """A scorer computed in Python on Arrow batches of silver rows (one pass, every other column passed through).

    Subclasses set ``inputs`` (the columns ``score`` reads), implement ``score(model, frame)`` returning one
    sequence per declared column, and, for a model, ``load()`` with a ``cache_key()`` naming what it loads.
    """

    inputs: ClassVar[tuple[str, ...]] = ("text",)

    def load(self) -> Any:
        """The model (or any heavy object); called once per Python worker."""
        return None

    def cache_key(self) -> str:
        return f"{type(self).__module__}.{type(self).__qualname__}"

    @abstractmethod
    def score(self, model: Any, frame: pd.DataFrame) -> Mapping[str, Sequence]:
        """One value per row of ``frame`` for every declared column."""

    def runs_in_python(self) -> bool:
        """False when this scorer is turned off and only adds typed null columns (no Python pass)."""
        return True

    def _model(self) -> Any:
        key = self.cache_key()
        if key not in _LOADED:
            _LOADED[key] = self.load()
        return _LOADED[key]

    def apply(self, df: DataFrame) -> DataFrame:
        missing = [c for c in self.inputs if c not in df.columns]
        if missing:
            raise ValueError(f"scorer {self.name}: input column(s) {missing} not in {df.columns}")
        declared = self.signals
        clash = [s.name for s in declared if s.name in df.columns]
        if clash:
            raise ValueError(f"scorer {self.name}: column(s) {clash} already exist")
        out_schema = T.StructType(df.schema.fields + [T.StructField(s.name, SPARK_TYPES[s.type], True)
                                                      for s in declared])
        scorer = self

        def mapper(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            model = scorer._model()
            for batch in batches:
                frame = batch.select(list(scorer.inputs)).to_pandas()
                values = scorer.score(model, frame)
                arrays = [pa.array(list(values[s.name]), ARROW_TYPES[s.type], from_pandas=True) for s in declared]
                yield pa.RecordBatch.from_arrays(batch.columns + arrays,
                                                 names=batch.schema.names + [s.name for s in declared])

        return df.mapInArrow(mapper, out_schema)


class PythonScorerGroup(PythonScorer):
    """Several Python scorers in one Arrow pass: rows cross into Python once, and each member scores the same
    pandas frame in turn (a member may read an earlier member's columns)."""

    name = "python_group"

    def __init__(self, members: Sequence[PythonScorer]):
        self.members = tuple(members)
        produced: set[str] = set()
        inputs: list[str] = []
        for member in self.members:
            inputs += [c for c in member.inputs if c not in produced and c not in inputs]
            produced.update(s.name for s in member.signals)
        self.inputs = tuple(inputs)

    @property
    def signals(self) -> tuple[Signal, ...]:
        return tuple(s for member in self.members for s in member.signals)

    def _model(self) -> Any:
        return [member._model() for member in self.members]

    def score(self, model: Any, frame: pd.DataFrame) -> Mapping[str, Sequence]:
        out: dict[str, Sequence] = {}
        read = {c for member in self.members for c in member.inputs}
        for member, member_model in zip(self.members, model):
            values = member.score(member_model, frame[list(member.inputs)])
            out.update(values)
            for column, seq in values.items():
                if column in read:
                    frame = frame.assign(**{column: list(seq)})
        return out


def python_passes(scorers: Sequence[Scorer]) -> list[Scorer]:
    """``scorers`` in the order silver applies them: Python scorers that run are gathered into one
    PythonScorerGroup, moved past scorers that read only document columns (the built-in Spark ones), so text crosses
    into Python once for all of them. The silver schema's column order stays that of ``scorers``."""
    out: list[Scorer] = []
    pending: list[PythonScorer] = []

    def flush() -> None:
        if pending:
            out.append(pending[0] if len(pending) == 1 else PythonScorerGroup(pending))
            pending.clear()

    for scorer in scorers:
        if isinstance(scorer, PythonScorer) and scorer.runs_in_python():
            pending.append(scorer)
        elif scorer.reads_only_documents:
            out.append(scorer)
        else:
            flush()
            out.append(scorer)
    flush()
    return out


@dataclasses.dataclass
class BuiltinSignals(Scorer):
    """The fused Arrow pass over bronze rows: normalise the text once, then language id, quality and toxicity.

    The one scorer that also rewrites a column (``text``, normalised), so text crosses into Python once.
    """

    cfg: PipelineConfig
    name: ClassVar[str] = "builtin"

    @property
    def signals(self) -> tuple[Signal, ...]:
        return BUILTIN_SCORER_SIGNALS

    def apply(self, df: DataFrame) -> DataFrame:
        s = self.cfg.silver
        mapper = arrow_signal_mapper(s.languages, s.use_header_language, s.langid_max_chars, s.normalize)
        return df.select(*BRONZE_COLUMNS).mapInArrow(mapper, spark_ddl(signal_schema()))


@dataclasses.dataclass
class UrlScorer(Scorer):
    """RefinedWeb-style URL signals and domain lists, as Spark SQL (etl.silver.urls)."""

    cfg: PipelineConfig
    name: ClassVar[str] = "url"
    reads_only_documents: ClassVar[bool] = True

    @property
    def signals(self) -> tuple[Signal, ...]:
        return URL_SIGNALS

    def apply(self, df: DataFrame) -> DataFrame:
        from etl.silver.urls import with_url_filters

        s = self.cfg.silver
        return with_url_filters(df, df.sparkSession, "url", s.url_blocklist, s.url_allowlist,
                                ut1_categories=s.url_blocklist_categories,
                                banned_allowlist_path=s.url_banned_allowlist)


@dataclasses.dataclass
class SparkModelScorer(Scorer):
    """A Spark ML text classifier saved at ``path`` (etl.models.text_classifier's pipeline): its positive-class
    probability in one column, null when no path is configured, so the silver schema never depends on config."""

    column: str
    path: str | None
    name: ClassVar[str] = "model"
    reads_only_documents: ClassVar[bool] = True

    @property
    def signals(self) -> tuple[Signal, ...]:
        return (SIGNALS_BY_NAME[self.column],)

    def apply(self, df: DataFrame) -> DataFrame:
        if not self.path:
            return df.withColumn(self.column, F.lit(None).cast(T.DoubleType()))
        from etl.models.text_classifier import score_with_model

        return score_with_model(df, self.path, text_col="text", out_col=self.column)


class PiiScorer(PythonScorer):
    """Personal data per kind (etl.silver.pii): counts only; gold redacts or drops by gold.pii."""

    name = "pii"
    inputs = ("text",)

    @property
    def signals(self) -> tuple[Signal, ...]:
        return PII_SIGNALS

    def score(self, model: Any, frame: pd.DataFrame) -> Mapping[str, Sequence]:
        counts = [count_pii(t) if isinstance(t, str) else None for t in frame["text"]]
        out = {column: [c[kind] if c is not None else None for c in counts]
               for kind, column in PII_COUNT_COLUMNS.items()}
        out["pii_total"] = [sum(c.values()) if c is not None else None for c in counts]
        return out


class SubsetScorer(PythonScorer):
    """Code, math and Q&A signals (etl.silver.subsets): counts and shares only; gold flags the subsets."""

    name = "subsets"
    inputs = ("text",)

    @property
    def signals(self) -> tuple[Signal, ...]:
        return SUBSET_SIGNALS

    def score(self, model: Any, frame: pd.DataFrame) -> Mapping[str, Sequence]:
        return score_texts(frame["text"])


class DomainScorer(PythonScorer):
    """Topic and format (WebOrganizer's 24 + 24 labels) with their probabilities: the domain model (etl.models,
    the bundled one unless `model_path` names a directory) plus the seeds of the text's language."""

    name = "domains"
    inputs = ("text", "language")

    def __init__(self, model_path: str | None = None):
        self.model_path = model_path or None

    @property
    def signals(self) -> tuple[Signal, ...]:
        return DOMAIN_SIGNALS

    def cache_key(self) -> str:
        return f"{super().cache_key()}:{self.model_path or 'bundled'}"

    def load(self) -> Any:
        return load_domain_model(self.model_path)

    def score(self, model: Any, frame: pd.DataFrame) -> Mapping[str, Sequence]:
        languages = [x if isinstance(x, str) else None for x in frame["language"]]
        return predict_labels(model, list(frame["text"]), languages)


class EmbeddingToxicityScorer(PythonScorer):
    """``tox_embed_score``: the embedding toxicity model (etl.models.toxicity_embedding) on each text's first
    window; the bundled model unless ``silver.toxicity_embedding_model_path`` names another or turns it off."""

    name = "toxicity_embedding"

    def __init__(self, model_path: str | None = BUNDLED_TOXICITY_MODEL):
        self.source = toxicity_model_source(model_path)

    @property
    def signals(self) -> tuple[Signal, ...]:
        return EMBEDDING_MODEL_SIGNALS

    def cache_key(self) -> str:
        return f"{super().cache_key()}:{self.source}"

    def load(self) -> Any:
        from etl.models.toxicity_embedding import load_model

        return load_model(None if self.source == BUNDLED_TOXICITY_MODEL else self.source)

    def score(self, model: Any, frame: pd.DataFrame) -> Mapping[str, Sequence]:
        from etl.models.toxicity_embedding import score_texts

        (signal,) = self.signals
        return {signal.name: score_texts(model, list(frame["text"]))}

    def runs_in_python(self) -> bool:
        return self.source is not None

    def apply(self, df: DataFrame) -> DataFrame:
        if self.source is None:  # turned off: a typed null column, no Python pass
            return df.select("*", *null_columns(self.signals))
        return super().apply(df)


@dataclasses.dataclass
class ToxicityModelScorer(Scorer):
    """The toxicity classifier (``tox_model_score``: the bundled model unless ``silver.toxicity_model_path`` names
    another or turns it off) and the bundled five dimension models (``tox_model_<dimension>`` 0..3, and their tier
    by the lexicon's own rule in ``tox_model_tier``), scored together per bounded window so each window is
    featurised once (etl.models.window_scoring); every column is null when the classifier is off."""

    path: str | None
    name: ClassVar[str] = "toxicity_model"
    reads_only_documents: ClassVar[bool] = True
    materialise_input: ClassVar[bool] = True

    @property
    def signals(self) -> tuple[Signal, ...]:
        return MODEL_SIGNALS

    def apply(self, df: DataFrame) -> DataFrame:
        from etl.models.dimension_model import dimensions_head, load_dimensions_model, with_levels
        from etl.models.text_classifier import load_model, probability_col
        from etl.models.window_scoring import WindowHead, score_windows

        (score, *levels, tier) = self.signals
        source, spark = toxicity_model_source(self.path), df.sparkSession
        connect = is_connect(spark)
        if source == BUNDLED_TOXICITY_MODEL and connect:
            # pyspark 4.0's PipelineModel.load needs a driver JVM, which a Connect client has not: the score stays
            # null there (gold does not drop on it by default); name a model path the server reads to score.
            if not _CONNECT_WARNED:
                _CONNECT_WARNED.append(True)
                print("silver: the bundled toxicity model is not loaded over Spark Connect: tox_model_score is null "
                      "(set silver.toxicity_model_path to a model the server can read)", file=sys.stderr)
            source = None
        if source is None:
            return df.select("*", *null_columns(self.signals))
        heads = [WindowHead(load_model(source, spark), {probability_col(): score.name})]
        if connect:  # the bundled dimension models need a driver JVM too
            scored = score_windows(df, heads, text_col="text")
            return scored.select("*", *null_columns((*levels, tier)))
        dimensions, thresholds = load_dimensions_model(spark)
        scored = with_levels(score_windows(df, [*heads, dimensions_head(dimensions)], text_col="text"), thresholds)
        return scored.withColumn(tier.name, tier_column([F.col(s.name) for s in levels]))


def tier_column(levels: Sequence[Any]) -> Any:
    """``etl.silver.toxicity.toxicity_tier`` of the dimension levels (catalog order) as one SQL lookup: the rule
    is evaluated in Python once per combination of levels, so it is imported, not rewritten in SQL."""
    import itertools

    from etl.catalog import TOXICITY_DIMENSIONS, TOXICITY_MAX_WEIGHT
    from etl.silver.toxicity import toxicity_tier

    base = TOXICITY_MAX_WEIGHT + 1
    table = [toxicity_tier(dict(zip(TOXICITY_DIMENSIONS, combo)))
             for combo in itertools.product(range(base), repeat=len(TOXICITY_DIMENSIONS))]
    index = sum(level * base ** (len(levels) - 1 - i) for i, level in enumerate(levels))
    return F.element_at(F.array(*[F.lit(t) for t in table]), index + 1)


def user_scorer(spec: str, cfg: PipelineConfig) -> Scorer:
    """``package.module:factory`` -> ``factory(cfg)``, checked to be a Scorer with typed, new columns."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ValueError(f"silver.scorers: {spec!r} must look like 'package.module:factory'")
    factory = getattr(importlib.import_module(module_name), attr)
    scorer = factory(cfg)
    if not isinstance(scorer, Scorer):
        raise TypeError(f"silver.scorers: {spec} returned {type(scorer).__name__}, not an etl.silver.scorers.Scorer")
    for signal in scorer.signals:
        if signal.name in SIGNALS_BY_NAME:
            raise ValueError(f"silver.scorers: {spec} declares {signal.name!r}, a built-in column")
    return scorer


def scorers_for(cfg: PipelineConfig) -> list[Scorer]:
    """The scorers silver runs, in order: built-ins, the model scores, personal-data counts, code/math/Q&A signals,
    topic and format labels, then the user's."""
    (quality,) = QUALITY_MODEL_SIGNALS
    return [
        BuiltinSignals(cfg),
        UrlScorer(cfg),
        ToxicityModelScorer(cfg.silver.toxicity_model_path),
        EmbeddingToxicityScorer(cfg.silver.toxicity_embedding_model_path),
        SparkModelScorer(quality.name, cfg.silver.quality_model_path),
        PiiScorer(),
        SubsetScorer(),
        DomainScorer(cfg.silver.domain_model_path),
        *[user_scorer(spec, cfg) for spec in cfg.silver.scorers],
    ]


def declared_columns(scorers: Sequence[Scorer]) -> list[str]:
    """The document columns then every scorer's declared columns: silver's schema contract."""
    names = list(BRONZE_COLUMNS)
    for scorer in scorers:
        names += [s.name for s in scorer.signals if s.name not in names]
    return names
