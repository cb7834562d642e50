"""Execute the Databricks notebooks locally, cell by cell and in order (01 -> 04), so they cannot rot.

The lake starts as a copy of the session's refresh of the bundled sample (tests/conftest.py: sample_lake, so 02 and
03 have signals and clusters to show); 01 then ingests one new file (one real 2014 record), and 04 refreshes with it
and a sample file, which scores and decides only that new record.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import etl
from etl.config import PipelineConfig
from etl.io.warc import Record, WarcReader
from etl.io.warc_writer import write_wet
from tests.helpers.databricks_shim import NOTEBOOK_HEADER, NotebookRun, read_cells, run_notebook
from tests.helpers.lakes import copy_lake

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
ORDER = ("01_ingest", "02_explore_signals", "03_review_duplicates", "04_refresh")
SAMPLE = ROOT / "data" / "sample"
DUPLICATES_FILE = str(SAMPLE / "GENERATED-duplicates-clough-stevenson-and-mirrors.warc.wet.gz")
# The first record of a real 2014 WET file (not in data/sample), written as a file of its own.
CC_2014 = ROOT / "tests" / "data" / "cc_2014" / "CC-MAIN-20140820021334-00006-ip-10-180-136-8.ec2.internal.warc.wet"


class Notebooks:
    """Runs notebooks in ORDER on demand: asking for one first runs every earlier one, each exactly once."""

    def __init__(self, spark, widgets: dict[str, dict[str, str]]):
        self.spark, self.widgets, self.runs = spark, widgets, {}

    def run(self, name: str) -> NotebookRun:
        for earlier in ORDER[: ORDER.index(name) + 1]:
            if earlier not in self.runs:
                self.runs[earlier] = run_notebook(NOTEBOOKS / f"{earlier}.py", self.spark, self.widgets[earlier])
        return self.runs[name]


def one_record_file(out: Path) -> str:
    with open(CC_2014, "rb") as fh:
        first = next(r for r in WarcReader(fh) if isinstance(r, Record) and r.type == "conversion")
    path = out / "CC-MAIN-2014-35-one-record.warc.wet.gz"
    with open(path, "wb") as fh:
        write_wet(fh, [({k: v for k, v in first.headers.items() if k != "content-length"}, first.payload)])
    return str(path)


@pytest.fixture(scope="module")
def notebooks(spark, sample_lake, tmp_path_factory) -> Notebooks:
    root = tmp_path_factory.mktemp("notebooks")
    lake = copy_lake(sample_lake.lake, root / "lake")
    new_file = one_record_file(root)
    widgets = {
        "01_ingest": {"inputs": new_file, "lake": lake},
        "02_explore_signals": {"lake": lake, "language": "en", "rule": "gopher_quality:short_doc", "threshold": "200"},
        "03_review_duplicates": {"lake": lake, "clusters": "3", "per_cluster": "2"},
        "04_refresh": {"inputs": f"{new_file}, {DUPLICATES_FILE}", "lake": lake, "report_dir": str(root / "report")},
    }
    return Notebooks(spark, widgets)


def test_every_notebook_is_tested_and_well_formed():
    from etl.notebook_defaults import DATABRICKS_VOLUME

    wheel = f"cc_wet_etl-{etl.__version__}-py3-none-any.whl"  # what `make dist` builds
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.py")) == sorted(ORDER)
    for name in ORDER:
        path = NOTEBOOKS / f"{name}.py"
        assert path.read_text().splitlines()[0] == NOTEBOOK_HEADER
        cells = read_cells(path)
        code = [c for c in cells if c.magic is None]
        assert "spark" in code[0].source  # the first Python cell provides `spark`
        assert any(c.magic == "md" for c in cells)
        pip = [c for c in cells if c.magic == "pip"]  # installs the wheel, before any Python cell
        assert len(pip) == 1 and pip[0].index < code[0].index
        assert f"%pip install --quiet {DATABRICKS_VOLUME}/wheels/{wheel}" in pip[0].source
        source = path.read_text()
        assert all(f'dbutils.widgets.text("{widget}"' in source for widget in ("preset", "config"))


def test_01_ingest(notebooks):
    run = notebooks.run("01_ingest")
    summary = run.namespace["summary"]
    assert summary.files_processed == 1 and summary.documents_loaded == 1
    log, quarantine = run.display.shown
    assert log.kind == "spark" and [r.status for r in log.value] == ["ok"]
    assert quarantine.kind == "spark"


def test_02_explore_signals(notebooks):
    run = notebooks.run("02_explore_signals")
    kinds = [d.kind for d in run.display.shown]
    assert kinds == ["figure", "pandas", "pandas"]
    histograms = run.namespace["histograms"]
    assert histograms["gopher_n_words"]["total"] > 0  # English documents exist in silver
    result = run.namespace["result"]
    assert result["language"] == "en" and result["threshold_new"] == 200.0
    assert result["documents"] == histograms["gopher_n_words"]["total"]
    assert result["drops_new"] >= result["drops_now"]  # a higher minimum can only drop more


def test_03_review_duplicates(notebooks):
    run = notebooks.run("03_review_duplicates")
    figure, review = run.display.shown
    assert figure.kind == "figure" and review.kind == "spark"
    rows = review.value
    assert rows and len({r.cluster_id for r in rows}) <= 3
    for r in rows:
        assert r.doc_id != r.survivor_id and r.excerpt and r.survivor_excerpt and 0 <= r.similarity <= 1


def test_04_refresh_writes_report(notebooks):
    run = notebooks.run("04_refresh")
    summary = run.namespace["summary"]
    assert summary.bronze.files_already_done == 2  # 01 ingested the new file; the refresh only scores it
    assert summary.silver.documents_in == 1
    paths = run.namespace["paths"]
    assert paths["html"].is_file() and paths["card"].is_file() and all(p.is_file() for p in paths["pngs"])
    assert [d.kind for d in run.display.shown] == ["figure", "figure"]
    history = run.namespace["history"]  # the sample lake's refresh, then this one (01 only ingests)
    assert len(history) == 2 and history[-1]["run_id"] == summary.run_id


def test_widget_defaults_are_absolute_and_right_for_each_place(tmp_path):
    from etl.notebook_defaults import DATABRICKS_VOLUME, widget_defaults

    from_notebooks = widget_defaults(cwd=ROOT / "notebooks", databricks=False)
    assert from_notebooks == widget_defaults(cwd=ROOT, databricks=False)  # same answer from either folder
    assert Path(from_notebooks["inputs"]) == SAMPLE and SAMPLE.is_dir()
    assert all(Path(v).is_absolute() for v in from_notebooks.values())
    on_databricks = widget_defaults(cwd=ROOT / "notebooks", databricks=True)
    assert on_databricks["lake"].startswith(DATABRICKS_VOLUME) and on_databricks["report_dir"].startswith(
        DATABRICKS_VOLUME)
    assert on_databricks["inputs"] == from_notebooks["inputs"]  # the sample in the Git folder either way


def test_without_a_git_folder_the_sample_is_the_packaged_copy(tmp_path):
    """A notebook imported on its own, with the wheel installed by %pip: the inputs default to the files the wheel
    carries (etl/resources/sample, the same files as data/sample)."""
    from etl.notebook_defaults import bundled_sample, widget_defaults

    inputs = Path(widget_defaults(cwd=tmp_path / "notebooks", databricks=True)["inputs"])
    assert inputs == bundled_sample() and inputs.is_dir()
    assert sorted(p.name for p in inputs.iterdir()) == sorted(p.name for p in SAMPLE.iterdir())
    assert all((inputs / p.name).read_bytes() == p.read_bytes() for p in SAMPLE.iterdir())


class RecordingSql:
    """`spark.sql` stand-in: records statements, fails them when told to."""

    def __init__(self, error: Exception | None = None):
        self.statements, self.error = [], error

    def sql(self, text: str):
        self.statements.append(text)
        if self.error:
            raise self.error


def test_notebooks_create_the_volume_or_say_what_to_do():
    from etl.notebook_defaults import VolumeError, ensure_volume

    spark = RecordingSql()
    assert ensure_volume(spark, "/Volumes/main/default/cc_etl/lake") == "main.default.cc_etl"
    assert spark.statements == ["CREATE VOLUME IF NOT EXISTS `main`.`default`.`cc_etl`"]
    local = RecordingSql()
    assert ensure_volume(local, "/tmp/lake") is None and local.statements == []  # not a volume: nothing to do
    denied = RecordingSql(RuntimeError("[PERMISSION_DENIED] User does not have CREATE VOLUME on Schema"))
    with pytest.raises(VolumeError) as info:
        ensure_volume(denied, "/Volumes/main/nope/cc_etl/report")
    message = str(info.value)
    assert "main.nope.cc_etl" in message and "PERMISSION_DENIED" in message and "CREATE VOLUME" in message
    assert "\n" not in message


def test_notebook_config_applies_the_preset_then_the_config_file(tmp_path):
    from etl.notebook_defaults import notebook_config

    mine = tmp_path / "mine.toml"
    mine.write_text("[gold.dedup]\nthreshold = 0.7\n[silver]\nlanguages = ['ar', 'fa']\n")
    cfg = notebook_config("/x/lake", "arabic", str(mine))
    arabic = notebook_config("/x/lake", "arabic")
    assert cfg.lake == "/x/lake" and cfg.gold.dedup.threshold == 0.7 and cfg.silver.languages == ["ar", "fa"]
    assert arabic.silver.languages == ["ar"] and cfg.gold.language_overrides == arabic.gold.language_overrides
    assert notebook_config("/x/lake").silver.languages == PipelineConfig().silver.languages
