"""The general text classifier (toxicity, its dimensions and quality use it): hashed character n-grams and words,
TF-IDF, logistic regression, as a Spark ML ``PipelineModel`` that runs in the JVM (no Python worker).

Character n-grams need no tokenizer or word list per language, so one model covers every script (Arabic,
Devanagari, romanised Hindi, Chinese without spaces) and survives the spelling games hateful text plays ("n1gg3r",
"T r a n s"). :func:`train_toxicity_model` fits it, ``etl.models.window_scoring`` scores it on bounded windows,
:func:`load_bundled_model` reads a model shipped in the package. Scores only, no
decisions: gold applies thresholds. :func:`load_labelled` reads training data (HateCheck, Jigsaw or a generic
``text,label`` table, as CSV or Delta) into one shape.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from importlib.abc import Traversable
from pathlib import Path
from urllib.parse import urlparse

from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.classification import LogisticRegression
from pyspark.ml.feature import IDF, HashingTF, NGram, Normalizer, RegexTokenizer, SQLTransformer
from pyspark.ml.functions import vector_to_array
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from etl.config import BUNDLED_TOXICITY_MODEL, bundled_toxicity_model
from etl.spark import classic_jvm

MODEL_SCORE_COL = "tox_model_score"
TOXIC_CLASS = 1  # index of the toxic class in the probability vector
# Every column the pipeline adds starts with this, so scoring can drop them all and they never clash with
# a user's columns. The pipeline reads its text from INPUT_COL, so a saved model works whatever the
# caller's text column is called.
PREFIX = "_toxm_"
INPUT_COL = f"{PREFIX}input"
LABEL_COL = f"{PREFIX}label"
FEATURES_COL = f"{PREFIX}features"
WORD_PREFIX = "w:"  # marks word features; char n-grams (space-joined chars) can never look like "w:..."
# Links and @-mentions, as Spark SQL string literals of Java regexes (hence the doubled backslashes): a dataset's
# own conventions ("@user" masks, t.co links) say which dataset a text came from, not whether it is toxic.
LINK_RE = r"(https?://|www\\.)[^\\s]+"
MENTION_RE = r"@[^\\s]+"

# Labelled-data formats recognised by load_labelled.
HATECHECK_TEXT, HATECHECK_LABEL, HATECHECK_CASE_ID = "test_case", "label_gold", "mhc_case_id"
HATECHECK_POSITIVE, HATECHECK_NEGATIVE = "hateful", "non-hateful"
JIGSAW_TEXT, JIGSAW_LABEL = "comment_text", "toxic"
JIGSAW_LANGUAGE = "en"  # the Jigsaw toxic-comment set is English Wikipedia talk pages
GENERIC_TEXT, GENERIC_LABEL, GENERIC_LANGUAGE = "text", "label", "language"
# Multilingual HateCheck names languages in English; the pipeline uses ISO 639-1 codes.
HATECHECK_LANGUAGES = {
    "arabic": "ar",
    "dutch": "nl",
    "french": "fr",
    "german": "de",
    "hindi": "hi",
    "italian": "it",
    "mandarin": "zh",
    "polish": "pl",
    "portuguese": "pt",
    "spanish": "es",
}
# Spellings of a binary label accepted in a generic table (compared lower-cased and trimmed).
POSITIVE_LABELS = ("1", "1.0", "true", "yes", "toxic", HATECHECK_POSITIVE)
NEGATIVE_LABELS = ("0", "0.0", "false", "no", "non-toxic", HATECHECK_NEGATIVE)
DELTA_LOG_DIR = "_delta_log"
_BUNDLED: dict[int, PipelineModel] = {}  # the shipped model, for the one Spark session that loaded it
# The two stages of a saved pipeline that hold data (the others are parameters only): load_bundled_model builds them.
IDF_MODEL_CLASS = "org.apache.spark.ml.feature.IDFModel"
LR_MODEL_CLASS = "org.apache.spark.ml.classification.LogisticRegressionModel"


@dataclass(frozen=True)
class ToxicityModelConfig:
    """Feature and regression settings for :func:`train_toxicity_model`; the defaults are the evaluated recipe.

    Why these defaults (evals/toxicity_generalisation_eval.py and docs/toxicity.md have the figures):

    * ``char_ngram_max=4`` with unigrams: single characters are words in Chinese, 3-4 grams catch stems and
      slur fragments in alphabetic scripts; longer grams mostly memorise templates.
    * words too: a whole slur is a stronger cue than its pieces where words are space-separated. Word bigrams
      (``word_ngram_max=2``) did no better on a validation split of the training templates, so are off.
    * ``binary`` term frequencies + IDF + L2 normalisation: a web page and a one-line training example end up
      on the same scale, so document length does not decide the score.
    * ``standardization=False``: standardising sparse hashed features inflates rare n-grams (typos, names).
    * ``reg_param=1e-4``: 1e-2 lowered the leave-one-dataset-out AUC on every set (to 0.50-0.59).
    * ``max_chars`` bounds the n-grams per row (≈ 5 per character) on very long documents.
    * ``mask_links_and_mentions``: links become a space and @-mentions a bare "@", so the n-grams of one
      dataset's masking convention ("@user", t.co links) cannot stand in for its labels on another's text.
    """

    char_ngram_min: int = 1
    char_ngram_max: int = 4
    use_words: bool = True
    word_ngram_max: int = 1
    num_features: int = 1 << 18
    binary_tf: bool = True
    min_doc_freq: int = 2
    max_chars: int = 10_000
    reg_param: float = 1e-4
    elastic_net_param: float = 0.0
    max_iter: int = 50
    standardization: bool = False
    mask_links_and_mentions: bool = True

    def __post_init__(self) -> None:
        if not 1 <= self.char_ngram_min <= self.char_ngram_max:
            raise ValueError(
                f"need 1 <= char_ngram_min <= char_ngram_max, got {self.char_ngram_min}..{self.char_ngram_max}"
            )
        if self.word_ngram_max < 1:
            raise ValueError(f"word_ngram_max must be >= 1, got {self.word_ngram_max}")
        if self.num_features < 1 or self.max_chars < 1 or self.max_iter < 1:
            raise ValueError("num_features, max_chars and max_iter must be positive")
        if self.reg_param < 0 or not 0.0 <= self.elastic_net_param <= 1.0:
            raise ValueError("reg_param must be >= 0 and elastic_net_param in [0, 1]")


# --- training and scoring ------------------------------------------------------------------------


def feature_stages(cfg: ToxicityModelConfig) -> list:
    """Stages from INPUT_COL to ``{PREFIX}features``; None text becomes "" (no n-grams, score = intercept only)."""
    text = f"{PREFIX}text"
    # Lower case, runs of whitespace as one space, padded with spaces so n-grams see word starts and ends.
    lowered = f"lower(substring(coalesce(`{INPUT_COL}`, ''), 1, {cfg.max_chars}))"
    if cfg.mask_links_and_mentions:
        lowered = f"regexp_replace(regexp_replace({lowered}, '{LINK_RE}', ' '), '{MENTION_RE}', ' @ ')"
    clean = SQLTransformer(
        statement=f"SELECT *, concat(' ', regexp_replace({lowered}, " + r"'\\s+', ' '), ' ') AS " + f"{text} FROM __THIS__"
    )
    chars = RegexTokenizer(inputCol=text, outputCol=f"{PREFIX}c1", pattern="", gaps=True,
                           toLowercase=False, minTokenLength=1)
    stages: list = [clean, chars]
    gram_cols = [f"{PREFIX}c1"] if cfg.char_ngram_min == 1 else []
    for n in range(max(cfg.char_ngram_min, 2), cfg.char_ngram_max + 1):
        stages.append(NGram(n=n, inputCol=f"{PREFIX}c1", outputCol=f"{PREFIX}c{n}"))
        gram_cols.append(f"{PREFIX}c{n}")
    if cfg.use_words:
        # (?U) makes \W Unicode-aware (Java's default is ASCII, which would split every non-Latin word).
        stages.append(RegexTokenizer(inputCol=text, outputCol=f"{PREFIX}words", pattern=r"(?U)\W+",
                                     gaps=True, toLowercase=False, minTokenLength=1))
        gram_cols.append(f"transform({PREFIX}words, w -> concat('{WORD_PREFIX}', w))")
        for n in range(2, cfg.word_ngram_max + 1):  # phrases such as negations ("don't hate")
            stages.append(NGram(n=n, inputCol=f"{PREFIX}words", outputCol=f"{PREFIX}w{n}"))
            gram_cols.append(f"transform({PREFIX}w{n}, w -> concat('{WORD_PREFIX}', w))")
    stages += [
        SQLTransformer(statement=f"SELECT *, concat({', '.join(gram_cols)}) AS {PREFIX}grams FROM __THIS__"),
        HashingTF(inputCol=f"{PREFIX}grams", outputCol=f"{PREFIX}tf", numFeatures=cfg.num_features,
                  binary=cfg.binary_tf),
        IDF(inputCol=f"{PREFIX}tf", outputCol=f"{PREFIX}tfidf", minDocFreq=cfg.min_doc_freq),
        Normalizer(inputCol=f"{PREFIX}tfidf", outputCol=FEATURES_COL, p=2.0),
    ]
    return stages


def logistic_regression(cfg: ToxicityModelConfig, label_col: str = LABEL_COL, name: str = "") -> LogisticRegression:
    """The recipe's regression over ``feature_stages``' output; ``name`` prefixes its output columns, so several
    regressions (one per dimension) can share one set of features in one pipeline."""
    return LogisticRegression(
        featuresCol=FEATURES_COL,
        labelCol=label_col,
        predictionCol=f"{PREFIX}{name}prediction",
        probabilityCol=probability_col(name),
        rawPredictionCol=f"{PREFIX}{name}raw",
        family="binomial",
        maxIter=cfg.max_iter,
        regParam=cfg.reg_param,
        elasticNetParam=cfg.elastic_net_param,
        standardization=cfg.standardization,
    )


def probability_col(name: str = "") -> str:
    """The probability vector column of the regression called ``name`` (``""``: the single-regression model)."""
    return f"{PREFIX}{name}probability"


def train_toxicity_model(
    df: DataFrame,
    text_col: str = "text",
    label_col: str = "label",
    cfg: ToxicityModelConfig = ToxicityModelConfig(),
) -> PipelineModel:
    """Fit the char n-gram + logistic regression pipeline on ``df`` (label 1 = toxic, 0 = not)."""
    for column in (text_col, label_col):
        if column not in df.columns:
            raise ValueError(f"training data has no column {column!r} (columns: {', '.join(df.columns)})")
    regression = logistic_regression(cfg)
    training = df.select(
        F.col(text_col).cast("string").alias(INPUT_COL), F.col(label_col).cast("double").alias(LABEL_COL)
    ).where(F.col(LABEL_COL).isNotNull())
    # Fitting reads the input several times (IDF, then the regression). Persisting it also stops Spark's
    # optimiser from running the whole n-gram pipeline on the driver when df is a local (createDataFrame) frame.
    training = training.persist()
    try:
        return Pipeline(stages=[*feature_stages(cfg), regression]).fit(training)
    finally:
        training.unpersist()


def save_model(model: PipelineModel, path: str, overwrite: bool = False) -> None:
    """Spark ML's own persistence (a directory of metadata + Parquet; any Hadoop path, e.g. s3a:// or dbfs:/)."""
    writer = model.write()
    (writer.overwrite() if overwrite else writer).save(path)


def load_model(path: str, spark: SparkSession | None = None) -> PipelineModel:
    """A model written by :func:`save_model`, or the one shipped in the package (``BUNDLED_TOXICITY_MODEL``)."""
    if path == BUNDLED_TOXICITY_MODEL:
        return load_bundled_model(spark or SparkSession.getActiveSession())
    return PipelineModel.load(path)


def load_bundled_model(spark: SparkSession, folder: Traversable | None = None) -> PipelineModel:
    """The shipped model (or a saved one at ``folder``), read on the driver through ``importlib.resources``.

    Why not ``PipelineModel.load``: it reads with Spark jobs, so every executor would need the files at the
    driver's path, which a wheel on the driver or ``dist/etl.zip`` does not give. Here the driver reads the small
    metadata and Parquet files itself (from a directory or a zip) and builds the stages in the JVM; executors get
    the model with the query plan. Spark Connect has no driver JVM: the folder is copied to a local temporary
    directory and loaded by the server.
    """
    if folder is None:  # the shipped model: read once per Spark session
        key = id(spark)
        if key not in _BUNDLED:
            _BUNDLED.clear()
            _BUNDLED[key] = load_bundled_model(spark, bundled_toxicity_model())
        return _BUNDLED[key]
    context = classic_jvm(spark)
    if context is None:  # Spark Connect
        return PipelineModel.load(_copy_to_local(folder))
    stages = []
    for stage_dir in sorted(_children(folder / "stages"), key=lambda p: int(p.name.split("_", 1)[0])):
        meta = _metadata(stage_dir)
        stages.append(_stage(context, meta, stage_dir))
    model = PipelineModel(stages)
    model._resetUid(_metadata(folder)["uid"])
    return model


def _children(folder: Traversable) -> list[Traversable]:
    return [p for p in folder.iterdir() if not p.name.startswith((".", "_"))]


def _metadata(folder: Traversable) -> dict:
    (part,) = [p for p in _children(folder / "metadata") if p.name.startswith("part-")]
    return json.loads(part.read_text(encoding="utf-8"))


def _data(folder: Traversable) -> dict:
    """The one row of a model's Parquet data, as Python values."""
    import pyarrow.parquet as pq

    (part,) = [p for p in _children(folder / "data") if p.name.endswith(".parquet")]
    return pq.read_table(io.BytesIO(part.read_bytes())).to_pylist()[0]


def _vector(value: dict):
    """A Spark ML vector from its Parquet struct (type 0 sparse, 1 dense)."""
    from pyspark.ml.linalg import DenseVector, SparseVector

    if value["type"] == 1:
        return DenseVector(value["values"])
    return SparseVector(value["size"], value["indices"], value["values"])


def _stage(context: tuple, meta: dict, folder: Traversable):
    """One pipeline stage: a parameter-only transformer, an IDF model or a logistic regression model."""
    import importlib

    from pyspark.ml.common import _py2java
    from pyspark.ml.linalg import DenseMatrix

    java_class = meta["class"]
    sc, jvm = context  # etl.spark.classic_jvm
    if java_class == IDF_MODEL_CLASS:
        data = _data(folder)
        idf = jvm.org.apache.spark.mllib.linalg.Vectors.fromML(_py2java(sc, _vector(data["idf"])))
        doc_freq = sc._gateway.new_array(jvm.long, len(data["docFreq"]))  # not used to transform
        mllib = jvm.org.apache.spark.mllib.feature.IDFModel(idf, doc_freq, int(data["numDocs"]))
        from pyspark.ml.feature import IDFModel

        stage = IDFModel(jvm.org.apache.spark.ml.feature.IDFModel(meta["uid"], mllib))
    elif java_class == LR_MODEL_CLASS:
        data = _data(folder)
        matrix = data["coefficientMatrix"]
        coefficients = DenseMatrix(matrix["numRows"], matrix["numCols"], matrix["values"], matrix["isTransposed"]) \
            if matrix["type"] == 1 else None
        if coefficients is None:
            raise ValueError(f"{folder}: sparse coefficient matrices are not supported")
        from pyspark.ml.classification import LogisticRegressionModel

        stage = LogisticRegressionModel(jvm.org.apache.spark.ml.classification.LogisticRegressionModel(
            meta["uid"], _py2java(sc, coefficients), _py2java(sc, _vector(data["interceptVector"])),
            int(data["numClasses"]), bool(data["isMultinomial"])))
    else:  # org.apache.spark.ml.feature.X -> pyspark.ml.feature.X: parameters only
        module, _, name = java_class.rpartition(".")
        stage = getattr(importlib.import_module(module.replace("org.apache.spark", "pyspark")), name)()
        stage._resetUid(meta["uid"])
    params = {**meta.get("defaultParamMap", {}), **meta.get("paramMap", {})}
    stage._set(**{k: v for k, v in params.items() if stage.hasParam(k)})
    return stage


def _copy_to_local(folder: Traversable) -> str:
    """The folder's files copied into a fresh temporary directory; its path."""
    import tempfile

    target = Path(tempfile.mkdtemp(prefix="etl_toxicity_model_"))

    def copy(src: Traversable, dst: Path) -> None:
        for item in src.iterdir():
            if item.is_dir():
                (dst / item.name).mkdir()
                copy(item, dst / item.name)
            else:
                (dst / item.name).write_bytes(item.read_bytes())

    copy(folder, target)
    return str(target)


def apply_model(df: DataFrame, model: PipelineModel, text_col: str = "text",
                out_col: str = MODEL_SCORE_COL) -> DataFrame:
    """``df`` plus ``out_col`` (double, P(toxic)) from an in-memory model; every other added column is dropped."""
    if text_col not in df.columns:
        raise ValueError(f"no text column {text_col!r} (columns: {', '.join(df.columns)})")
    scored = model.transform(df.withColumn(INPUT_COL, F.col(text_col).cast("string")))
    scored = scored.withColumn(out_col, vector_to_array(F.col(probability_col()))[TOXIC_CLASS])
    return scored.drop(*[c for c in scored.columns if c.startswith(PREFIX) and c not in df.columns])


def score_with_model(df: DataFrame, model_path: str, text_col: str = "text",
                     out_col: str = MODEL_SCORE_COL) -> DataFrame:
    """``df`` plus ``out_col``: probability (double) that ``text_col`` is toxic, by the model saved at ``model_path``.

    The model is loaded once per call, on the driver: Spark ML pipelines run in the JVM, so executors get it
    with the query plan and no per-worker Python loading is needed. None text scores like empty text.
    """
    return apply_model(df, load_model(model_path), text_col, out_col)


# --- labelled data --------------------------------------------------------------------------------


def _is_delta(spark: SparkSession, path: str) -> bool:
    parsed = urlparse(path)
    if parsed.scheme in ("", "file"):
        return (Path(parsed.path if parsed.scheme else path) / DELTA_LOG_DIR).is_dir()
    from delta.tables import DeltaTable  # remote store: ask Delta itself

    return DeltaTable.isDeltaTable(spark, path)


def _binary_label(column: F.Column, source: str) -> F.Column:
    """0/1 from the usual spellings; any other value fails the query that reads it, naming the value."""
    key = F.lower(F.trim(column.cast("string")))
    return (
        F.when(key.isin(*POSITIVE_LABELS), F.lit(1))
        .when(key.isin(*NEGATIVE_LABELS), F.lit(0))
        .otherwise(F.raise_error(F.concat(F.lit(f"{source}: label is not 0/1: "), F.coalesce(key, F.lit("NULL")))))
        .cast("int")
    )


def standardise_labelled(df: DataFrame, source: str = "<DataFrame>") -> DataFrame:
    """``text, label, language`` from a HateCheck, Jigsaw or generic ``text,label[,language]`` frame.

    Raises ``ValueError`` naming the missing column when ``df`` matches none of them.
    """
    columns = set(df.columns)
    if HATECHECK_TEXT in columns or HATECHECK_LABEL in columns:
        _require(columns, (HATECHECK_TEXT, HATECHECK_LABEL), source, "HateCheck")
        if GENERIC_LANGUAGE in columns:
            name = F.col(GENERIC_LANGUAGE)
        elif HATECHECK_CASE_ID in columns:  # full MHC files have no language column: "german-17" -> german
            name = F.regexp_extract(F.col(HATECHECK_CASE_ID), r"^([A-Za-z]+)-", 1)
        else:
            name = F.lit(None).cast("string")
        mapping = F.create_map(*[F.lit(x) for pair in HATECHECK_LANGUAGES.items() for x in pair])
        language = F.coalesce(mapping[F.lower(name)], F.nullif(F.lower(name), F.lit("")))
        text, label = F.col(HATECHECK_TEXT), F.col(HATECHECK_LABEL)
    elif JIGSAW_TEXT in columns:
        _require(columns, (JIGSAW_TEXT, JIGSAW_LABEL), source, "Jigsaw")
        text, label, language = F.col(JIGSAW_TEXT), F.col(JIGSAW_LABEL), F.lit(JIGSAW_LANGUAGE)
    else:
        _require(columns, (GENERIC_TEXT, GENERIC_LABEL), source, "generic")
        text, label = F.col(GENERIC_TEXT), F.col(GENERIC_LABEL)
        language = F.col(GENERIC_LANGUAGE) if GENERIC_LANGUAGE in columns else F.lit(None)
    return df.select(
        text.cast("string").alias("text"),
        _binary_label(label, source).alias("label"),
        language.cast("string").alias("language"),
    )


def _require(columns: set[str], needed: tuple[str, ...], source: str, kind: str) -> None:
    for column in needed:
        if column not in columns:
            raise ValueError(f"{source}: {kind} table needs column {column!r} (has: {', '.join(sorted(columns))})")


def load_labelled(spark: SparkSession, path: str) -> DataFrame:
    """Labelled toxicity data as ``text`` (string), ``label`` (int 0/1), ``language`` (string or null).

    ``path`` is a Delta table (a directory with ``_delta_log``) or CSV (a file, directory or glob, with a header).
    Formats: HateCheck (``test_case``, ``label_gold`` hateful/non-hateful), Jigsaw (``comment_text``, ``toxic``),
    or generic (``text``, ``label`` and optionally ``language``). A label outside 0/1 fails the read.
    """
    if _is_delta(spark, path):
        df = spark.read.format("delta").load(path)
    else:
        # RFC 4180 quoting (Spark's default escape is a backslash) and quoted newlines inside comments.
        df = spark.read.csv(path, header=True, multiLine=True, quote='"', escape='"')
    return standardise_labelled(df, source=path)
