"""The scorer seam: a user's scorer named in config adds its declared column to silver, loads its model once per
worker, and gold can drop on that column through gold.extra_rules."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from etl.catalog import SIGNALS
from etl.config import ConfigError, load_config
from etl.gold.decisions import active_rules, decide
from etl.silver.build import build_silver_frame, silver_columns
from etl.silver.scorers import scorers_for
from tests.helpers.example_scorer import LOADS_ENV, QUESTION_SIGNAL

SCORER = "tests.helpers.example_scorer:make"
BRONZE_DDL = ("doc_id string, url string, url_host string, crawl_id string, warc_date timestamp, "
              "cc_languages array<string>, content_length bigint, text string")
TEXTS = {"calm": "A plain sentence that ends with a full stop.", "asking": "Why? Who? When? How?", "none": None,
         "empty": ""}


def _bronze(spark):
    now = datetime(2024, 1, 1, tzinfo=timezone.utc)
    rows = [(k, f"https://x.example/{k}", "x.example", "CC-TEST", now, ["eng"], len(t or ""), t)
            for k, t in TEXTS.items()]
    return spark.createDataFrame(rows, BRONZE_DDL).repartition(2)


def test_builtin_scorers_declare_the_catalog_in_silver_order():
    assert silver_columns(scorers_for(load_config())) == [s.name for s in SIGNALS]


def test_user_scorer_column_is_kept_and_loaded_once_per_worker(spark, tmp_path, monkeypatch):
    loads = tmp_path / "loads.txt"
    monkeypatch.setenv(LOADS_ENV, str(loads))
    cfg = load_config(overrides={"silver": {"scorers": [SCORER]}})
    silver = build_silver_frame(spark, _bronze(spark), cfg, "run-1")
    assert silver.columns == [s.name for s in SIGNALS if s.family != "run"] + [QUESTION_SIGNAL.name] + [
        "silver_run_id", "scored_at"]
    assert dict(silver.dtypes)[QUESTION_SIGNAL.name] == "double"
    ratios = {r.doc_id: r.question_mark_ratio for r in silver.select("doc_id", QUESTION_SIGNAL.name).collect()}
    assert ratios["calm"] == 0.0 and ratios["asking"] == pytest.approx(4 / len(TEXTS["asking"]))
    assert ratios["none"] is None and ratios["empty"] is None
    pids = loads.read_text().split()
    assert pids and len(pids) == len(set(pids))  # each Python worker loaded the model once, however many batches


def test_gold_extra_rule_drops_on_a_scorer_column(spark, monkeypatch, tmp_path):
    monkeypatch.setenv(LOADS_ENV, str(tmp_path / "loads.txt"))
    rule = {"family": "example", "name": "questions", "signal": QUESTION_SIGNAL.name, "op": ">", "threshold": 0.1}
    cfg = load_config(overrides={"silver": {"scorers": [SCORER]},
                                 "gold": {"families": ["example"], "extra_rules": [rule]}})
    assert [r.key for r in active_rules(cfg.gold, [])] == ["example:questions"]
    silver = build_silver_frame(spark, _bronze(spark), cfg, "run-1")
    reasons = {r.doc_id: r.drop_reason for r in decide(silver, cfg.gold, []).select("doc_id", "drop_reason").collect()}
    assert reasons == {"calm": None, "asking": "example:questions", "none": None, "empty": None}


@pytest.mark.parametrize("bad, message", [
    ({"family": "x", "name": "y", "signal": "s", "op": "~", "threshold": 1}, "unknown operator"),
    ({"family": "x", "name": "y", "signal": "s"}, "needs"),
    ({"family": "c4", "name": "too_few_sentences", "signal": "s", "op": "<", "threshold": 1}, "already exists"),
])
def test_malformed_extra_rules_are_config_errors(bad, message):
    with pytest.raises(ConfigError, match=message):
        load_config(overrides={"gold": {"extra_rules": [bad]}})


def test_a_scorer_that_is_not_one_is_refused(spark):
    cfg = load_config(overrides={"silver": {"scorers": ["builtins:str"]}})
    with pytest.raises(TypeError, match="not an etl.silver.scorers.Scorer"):
        scorers_for(cfg)


def test_python_scorers_share_one_pass_and_score_as_they_do_alone(spark, monkeypatch, tmp_path):
    from etl.silver.scorers import PythonScorer, PythonScorerGroup, python_passes

    monkeypatch.setenv(LOADS_ENV, str(tmp_path / "loads.txt"))
    # The Spark ML classifier is not a Python scorer: off, so the oracle's second plan stays cheap.
    cfg = load_config(overrides={"silver": {"scorers": [SCORER], "toxicity_model_path": "none"}})
    scorers = scorers_for(cfg)
    passes = python_passes(scorers)
    groups = [p for p in passes if isinstance(p, PythonScorerGroup)]
    assert len(groups) == 1 and not any(isinstance(p, PythonScorer) and p not in groups for p in passes)
    assert [s.name for s in groups[0].members] == [s.name for s in scorers if isinstance(s, PythonScorer)]
    assert sum(len(p.signals) for p in passes) == sum(len(s.signals) for s in scorers)

    bronze = _bronze(spark)
    alone = bronze
    for scorer in scorers:  # the oracle: each scorer its own pass, in the declared order
        alone = scorer.apply(alone)
    fused = build_silver_frame(spark, bronze, cfg, "run-1")
    columns = [c for c in fused.columns if c not in ("silver_run_id", "scored_at")]
    assert sorted(fused.select(columns).collect()) == sorted(alone.select(columns).collect())


def test_a_scorer_that_reads_scored_columns_ends_the_shared_pass():
    from etl.silver.scorers import PythonScorerGroup, Scorer, python_passes
    from tests.helpers.example_scorer import QuestionMarks

    class ReadsScores(Scorer):
        signals = ()

        def apply(self, df):
            return df

    first, second, barrier = QuestionMarks(), QuestionMarks(), ReadsScores()
    passes = python_passes([first, second, barrier, QuestionMarks()])
    assert isinstance(passes[0], PythonScorerGroup) and passes[0].members == (first, second)
    assert passes[1] is barrier and isinstance(passes[2], QuestionMarks)
