"""The command line tells the truth before Spark starts: --set forms, --preset with --config, a lake that is a file,
usage lines, `make help` and the docs that list the jobs; and a job stops the session it built, logging Spark's
warnings to a file instead of the console."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from etl.cli import JOBS
from etl.cli import common
from etl.cli import main as cli_main
from etl.cli.common import EXIT_USAGE
from etl.config import BOOL_FORMS, ConfigError, load_config

ROOT = Path(__file__).resolve().parents[1]
WHIRLWIND = ROOT / "data" / "sample" / "CC-MAIN-2024-22-whirlwind.warc.wet.gz"


@pytest.mark.parametrize("value, expected", [
    ("ar", ["ar"]), ("[ar]", ["ar"]), ("ar,en", ["ar", "en"]), ("[ar, en]", ["ar", "en"]), ('["ar"]', ["ar"]),
    ("", []), ("[]", []),
])
def test_set_takes_lists_as_typed(value, expected):
    assert load_config(sets=[f"silver.languages={value}"]).silver.languages == expected


@pytest.mark.parametrize("word, expected", [(w, True) for w in ("true", "yes", "on", "1", "YES")]
                         + [(w, False) for w in ("false", "no", "off", "0")])
def test_set_takes_booleans_as_words(word, expected):
    assert load_config(sets=[f"ingest.allow_missing_inputs={word}"]).ingest.allow_missing_inputs is expected


def test_set_errors_show_the_accepted_forms_and_values_keep_their_types():
    with pytest.raises(ConfigError, match=re.escape(f"ingest.allow_missing_inputs must be true or false "
                                                    f"({BOOL_FORMS}), got 'maybe'")):
        load_config(sets=["ingest.allow_missing_inputs=maybe"])
    cfg = load_config(sets=["lake=2024", "spark.extra_conf.spark.sql.ansi.enabled=true", "gold.dedup.threshold=0.7",
                            "gold.rule_overrides.c4:too_few_sentences=4"])
    assert cfg.lake == "2024" and cfg.spark.extra_conf == {"spark.sql.ansi.enabled": "true"}
    assert cfg.gold.dedup.threshold == 0.7 and cfg.gold.rule_overrides == {"c4:too_few_sentences": 4}


def print_config(capsys, *argv) -> dict:
    with pytest.raises(SystemExit) as done:
        cli_main([*argv, "--print-config"])
    assert done.value.code == 0
    return json.loads(capsys.readouterr().out)


def test_preset_then_config_then_set(tmp_path, capsys):
    mine = tmp_path / "mine.toml"
    mine.write_text("[silver]\nlanguages = ['ar', 'fa']\nlangid_max_chars = 700\n[gold.dedup]\nthreshold = 0.7\n")
    arabic = print_config(capsys, "silver", "--preset", "arabic")
    both = print_config(capsys, "silver", "--preset", "arabic", "--config", str(mine), "--set", "gold.dedup.threshold=0.9")
    assert arabic["silver"]["languages"] == ["ar"]
    assert both["silver"]["languages"] == ["ar", "fa"] and both["silver"]["langid_max_chars"] == 700  # file > preset
    assert both["gold"]["dedup"]["threshold"] == 0.9  # --set > file
    assert both["gold"]["language_overrides"] == arabic["gold"]["language_overrides"]  # the preset's, kept
    assert print_config(capsys, "gold", "--verbose")["spark"]["console_log_level"] == common.VERBOSE_CONSOLE_LEVEL


@pytest.fixture()
def no_spark(monkeypatch):
    """Any attempt to start Spark fails the test: the checks must come first."""
    def refuse(*_args, **_kwargs):
        raise AssertionError("Spark was started")

    monkeypatch.setattr("etl.spark.get_spark", refuse)


# these model trainers read their data from --input or --dataset and write no lake
@pytest.mark.parametrize("job", sorted(set(JOBS) - {"train-toxicity", "train-domains", "train-toxicity-embedding"}))
def test_a_lake_that_is_a_file_is_refused_before_spark(job, tmp_path, capsys, no_spark):
    lake = tmp_path / "lake.txt"
    lake.write_text("not a directory")
    reference = tmp_path / "reference.txt"
    reference.write_text("A reference document about the history of public libraries and their catalogues. " * 5)
    extra = {"ingest": ["--input", str(WHIRLWIND)], "refresh": ["--input", str(WHIRLWIND)],
             "export": ["--out", str(tmp_path / "out")],
             "train-quality": ["--reference", str(reference), "--model-out", str(tmp_path / "m")]}.get(job, [])
    assert cli_main([job, "--lake", str(lake), *extra]) == EXIT_USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"the lake {lake} is a file, not a directory" in err[0], err


def test_subcommand_usage_names_the_command(capsys):
    with pytest.raises(SystemExit):
        cli_main(["export", "--help"])
    assert capsys.readouterr().out.startswith("usage: cc-etl export ")
    with pytest.raises(SystemExit):
        cli_main(["ingest", "--input"])  # a usage error: the usage line on stderr names the command too
    assert capsys.readouterr().err.startswith("usage: cc-etl ingest ")


class FakeSession:
    sparkContext = SimpleNamespace(uiWebUrl=None, getConf=lambda: SimpleNamespace(get=lambda *_: ""))

    def __init__(self):
        self.stopped = 0

    def stop(self):
        self.stopped += 1


@pytest.mark.parametrize("outcome", ["returns", "raises"])
def test_a_job_stops_the_session_it_built(monkeypatch, outcome):
    built = FakeSession()
    monkeypatch.setattr("etl.spark.get_spark", lambda _cfg: built)
    monkeypatch.setattr(common, "_builds_session", lambda: True)

    def body():
        common.session(load_config(), delta=False)
        if outcome == "raises":
            raise RuntimeError("boom")
        return []

    assert common.run_job("job", body) == (0 if outcome == "returns" else 1)
    assert built.stopped == 1 and not common._OWNED


def test_a_job_leaves_a_session_it_did_not_build(monkeypatch):
    given = FakeSession()  # a notebook's, a test's or Databricks' session
    monkeypatch.setattr("etl.spark.get_spark", lambda _cfg: given)
    monkeypatch.setattr(common, "_builds_session", lambda: False)

    def body():
        common.session(load_config(), delta=False)
        return []

    assert common.run_job("job", body) == 0 and given.stopped == 0


def test_spark_logs_go_to_the_file_not_the_console(tmp_path):
    """A real job (its Spark session, then exit 2 on an empty lake): at INFO, Spark says plenty, all of it in the
    log file the job names; the console keeps the job's own lines."""
    log, lake = tmp_path / "spark.log", tmp_path / "lake"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "jobs" / "build_silver.py"), "--lake", str(lake), "--master", "local[1]",
         "--set", "spark.ui_enabled=false", "--set", "spark.log_level=INFO", "--set", f"spark.log_file={log}",
         "--set", "silver.toxicity_model_path=none"],
        capture_output=True, text=True, timeout=300, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode == EXIT_USAGE, proc.stderr[-2000:]
    console = proc.stdout + proc.stderr
    assert f"spark log: {log}" in console and "no bronze/documents table" in console
    assert not re.search(r" (INFO|WARN) ", console), console[-2000:]
    assert re.search(r" INFO ", log.read_text())


def test_make_help_lists_every_target():
    makefile = (ROOT / "Makefile").read_text()
    targets = re.findall(r"^([a-z0-9-]+):", makefile, re.MULTILINE)
    out = subprocess.run(["make", "-s", "-C", str(ROOT), "help"], capture_output=True, text=True, timeout=60).stdout
    listed = [line.split()[0] for line in out.splitlines() if line.strip()]
    assert sorted(listed) == sorted(set(targets)) and "test-s3a" in listed
    assert "$$" not in out and "$(" not in out  # make's own escapes and variables are not for the reader


def test_docs_name_every_job_and_say_the_wheel_leaves_spark_out():
    scheduling = (ROOT / "docs" / "SCHEDULING.md").read_text()
    readme = (ROOT / "README.md").read_text()
    for name in JOBS:
        assert f"`{name}`" in scheduling, name
        assert name in readme.split("The wheel installs one entry point", 1)[1].split("\n\n", 1)[0], name
    setup = (ROOT / "setup.cfg").read_text()
    requires = setup.split("install_requires =", 1)[1].split("\n\n", 1)[0]
    assert "pyspark" not in requires and "delta-spark" not in requires
    assert "cc-wet-etl[spark]" in scheduling
