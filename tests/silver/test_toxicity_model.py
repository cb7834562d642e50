"""Tests for etl.models.text_classifier (classifier, persistence, labelled data) and its job."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from pyspark.sql import functions as F

from etl.models.text_classifier import (
    MODEL_SCORE_COL,
    ToxicityModelConfig,
    apply_model,
    load_labelled,
    save_model,
    score_with_model,
    train_toxicity_model,
)

ROOT = Path(__file__).resolve().parents[2]
JOB = ROOT / "jobs" / "train_toxicity.py"
EXIT_USAGE = 2
SMALL = ToxicityModelConfig(num_features=1 << 12, max_iter=20, min_doc_freq=1)

TOXIC = [
    "I hate all of those vermin",
    "kill them all, they are vermin",
    "those people are filthy vermin",
    "I hate them and want them dead",
]
NEUTRAL = [
    "what a lovely day at the beach",
    "the library opens at nine today",
    "we baked bread with my grandmother",
    "the train to the city was on time",
]

@pytest.fixture(scope="module")
def training(spark):
    rows = [(t, 1) for t in TOXIC] + [(t, 0) for t in NEUTRAL] + [(None, 0), ("", 0)]
    return spark.createDataFrame(rows, "text string, label int")


@pytest.fixture(scope="module")
def model(training):
    return train_toxicity_model(training, cfg=SMALL)


def test_scores_are_probabilities_and_separate_training_phrases(model, training):
    scored = apply_model(training.withColumn("id", F.monotonically_increasing_id()), model).toPandas()
    assert list(scored.columns) == ["text", "label", "id", MODEL_SCORE_COL]  # inputs kept, features dropped
    assert scored[MODEL_SCORE_COL].between(0.0, 1.0).all()
    toxic = scored.loc[scored["label"] == 1, MODEL_SCORE_COL]
    neutral = scored.loc[scored["text"].isin(NEUTRAL), MODEL_SCORE_COL]
    assert toxic.min() > neutral.max()
    assert toxic.min() > 0.5 > neutral.max()


def test_none_text_scores_like_empty_text(model, spark):
    frame = spark.createDataFrame([(None,), ("",)], "text string")
    none_score, empty_score = [r[MODEL_SCORE_COL] for r in apply_model(frame, model).collect()]
    assert none_score == pytest.approx(empty_score)
    assert 0.0 <= none_score <= 1.0


def test_save_load_score_with_other_text_column(model, spark, tmp_path):
    path = str(tmp_path / "model")
    save_model(model, path)
    with pytest.raises(Exception):  # no silent overwrite
        save_model(model, path)
    save_model(model, path, overwrite=True)
    frame = spark.createDataFrame([(1, TOXIC[0]), (2, NEUTRAL[0])], "id int, body string")
    out = score_with_model(frame, path, text_col="body", out_col="p").orderBy("id").toPandas()
    assert list(out.columns) == ["id", "body", "p"]
    assert out["p"][0] > out["p"][1]
    expected = apply_model(frame, model, text_col="body", out_col="p").orderBy("id").toPandas()
    assert out["p"].tolist() == pytest.approx(expected["p"].tolist())


def test_training_needs_its_columns(spark):
    frame = spark.createDataFrame([("a",)], "body string")
    with pytest.raises(ValueError, match="'text'"):
        train_toxicity_model(frame, cfg=SMALL)
    with pytest.raises(ValueError, match="char_ngram"):
        ToxicityModelConfig(char_ngram_min=3, char_ngram_max=2)


# --- labelled data --------------------------------------------------------------------------------


def test_load_labelled_jigsaw(spark, data_dir):
    df = load_labelled(spark, str(data_dir / "jigsaw" / "test_examples.csv"))
    assert df.dtypes == [("text", "string"), ("label", "int"), ("language", "string")]
    frame = df.toPandas()
    expected = pd.read_csv(data_dir / "jigsaw" / "test_examples.csv")
    assert len(frame) == len(expected)  # quoted newlines and "" escapes parsed as one row each
    assert frame["label"].tolist() == expected["toxic"].tolist()
    assert set(frame["language"]) == {"en"}


def test_load_labelled_hatecheck(spark, data_dir):
    frame = load_labelled(spark, str(data_dir / "hatecheck" / "hatecheck_slice.csv")).toPandas()
    expected = pd.read_csv(data_dir / "hatecheck" / "hatecheck_slice.csv")
    assert len(frame) == len(expected)
    assert frame["label"].tolist() == (expected["label_gold"] == "hateful").astype(int).tolist()
    assert sorted(frame["language"].unique()) == ["ar", "de", "es", "fr", "hi", "it", "nl", "pl", "pt", "zh"]


def test_load_labelled_full_hatecheck_file_takes_language_from_case_id(spark, tmp_path):
    path = tmp_path / "hatecheck_cases_final_german.csv"
    path.write_text("mhc_case_id,test_case,label_gold\ngerman-1,Ich hasse sie.,hateful\n"
                    "german-2,Ich mag sie.,non-hateful\n", encoding="utf-8")
    rows = load_labelled(spark, str(path)).collect()
    assert [(r.label, r.language) for r in rows] == [(1, "de"), (0, "de")]


def test_load_labelled_delta_and_generic(spark, tmp_path):
    table = str(tmp_path / "labels")
    spark.createDataFrame([("nice", "0"), ("vile", "true"), (None, "1")], "text string, label string") \
        .write.format("delta").save(table)
    frame = load_labelled(spark, table).orderBy("label", "text").toPandas()
    assert frame["label"].tolist() == [0, 1, 1]
    assert frame["language"].isna().all()
    assert frame["text"].tolist()[0] == "nice"


def test_load_labelled_errors(spark, tmp_path):
    missing = tmp_path / "missing.csv"
    missing.write_text("text,score\nhello,1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="'label'"):
        load_labelled(spark, str(missing))
    hatecheck = tmp_path / "hc.csv"
    hatecheck.write_text("test_case,functionality\nhello,x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="'label_gold'"):
        load_labelled(spark, str(hatecheck))
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\nhello,maybe\n", encoding="utf-8")
    with pytest.raises(Exception, match="label is not 0/1: maybe"):
        load_labelled(spark, str(bad)).collect()


# --- job ------------------------------------------------------------------------------------------


def _job(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(JOB), *args], capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_job_help():
    result = _job("--help")
    assert result.returncode == 0
    assert "--model-out" in result.stdout and "examples:" in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (("--model-out", "m"), "nothing to train on"),
        (("--input", "tests/data/jigsaw/test_examples.csv", "--model-out", "m", "--validation-fraction", "1.5"),
         "--validation-fraction"),
        (("--dataset", "tweeteval_hate_en", "--data-root", "does/not/exist", "--model-out", "m"),
         "does/not/exist"),
        (("--input", "does/not/exist.csv", "--model-out", "m"), "does/not/exist.csv"),
    ],
)
def test_job_bad_arguments_exit_2(args, message):
    result = _job(*args)
    assert result.returncode == EXIT_USAGE
    assert message in result.stderr.strip().splitlines()[-1]


def test_job_trains_saves_thresholds_and_prints_their_config(tmp_path):
    """End to end through the job: a generic CSV in two languages -> model + thresholds + the config lines."""
    from etl.config import MODEL_THRESHOLDS_FILE as THRESHOLDS_FILE
    from etl.config import model_thresholds as load_thresholds

    rows = [(t, 1, "en") for t in TOXIC] + [(t, 0, "en") for t in NEUTRAL]
    rows += [(f"{t} number {i}", y, lang) for i in range(30) for t, y, lang in rows[:8]]
    labels = tmp_path / "labels.csv"
    pd.DataFrame(rows, columns=["text", "label", "language"]).to_csv(labels, index=False)
    out = tmp_path / "model"
    result = _job("--input", str(labels), "--model-out", str(out), "--max-iter", "10")
    assert result.returncode == 0, result.stderr[-2000:]
    thresholds = load_thresholds(str(out))
    assert (out / THRESHOLDS_FILE).is_file() and 0.0 <= thresholds["*"] <= 1.0
    assert f"max_model_toxicity: {thresholds['*']}" in result.stdout
    assert "toxicity_model_path" in result.stdout
    assert not list(out.rglob("*.crc")) and not list(out.rglob("_SUCCESS"))  # tidied: only what loading reads


# --- the bundled model ----------------------------------------------------------------------------


def test_bundled_model_loads_on_the_driver_as_spark_loads_it(spark, data_dir, tmp_path):
    """load_bundled_model reads the shipped files on the driver (from the package directory, or from the zip
    executors import etl from) and scores exactly as Spark's own PipelineModel.load of the same directory."""
    import zipfile

    from pyspark.ml import PipelineModel

    from etl.bundled import TOXICITY_MODEL
    from etl.config import BUNDLED_TOXICITY_MODEL, bundled_toxicity_model
    from etl.packaging import PACKAGE_NAME, build_pyfiles_zip
    from etl.models.text_classifier import load_bundled_model, load_model

    texts = pd.read_csv(data_dir / "jigsaw" / "test_examples.csv")["comment_text"]
    frame = spark.createDataFrame(pd.DataFrame({"text": texts}))
    reference = apply_model(frame, PipelineModel.load(str(bundled_toxicity_model()))).toPandas()[MODEL_SCORE_COL]
    archive = build_pyfiles_zip(tmp_path / "etl.zip")
    inside = zipfile.Path(archive, f"{PACKAGE_NAME}/resources/{TOXICITY_MODEL}/")
    for model in (load_model(BUNDLED_TOXICITY_MODEL, spark), load_bundled_model(spark, inside)):
        assert apply_model(frame, model).toPandas()[MODEL_SCORE_COL].tolist() == reference.tolist()
    assert reference.between(0, 1).all() and reference.nunique() > len(reference) // 2


def test_silver_scores_with_the_bundled_model_by_default_and_can_turn_it_off(spark):
    from etl.config import TOXICITY_MODEL_OFF, load_config
    from etl.silver.scorers import ToxicityModelScorer, scorers_for

    frame = spark.createDataFrame([("a", "kill all the vermin"), ("b", "I love my family"), ("c", None)],
                                  "doc_id string, text string")
    (default,) = [s for s in scorers_for(load_config()) if isinstance(s, ToxicityModelScorer)]
    scores = {r.doc_id: r[MODEL_SCORE_COL] for r in default.apply(frame).collect()}
    assert all(0.0 < v < 1.0 for v in scores.values()) and scores["a"] > scores["b"]
    for off in (TOXICITY_MODEL_OFF, ""):
        (scorer,) = [s for s in scorers_for(load_config(overrides={"silver.toxicity_model_path": off}))
                     if isinstance(s, ToxicityModelScorer)]
        assert [r[MODEL_SCORE_COL] for r in scorer.apply(frame).collect()] == [None] * 3
