"""Export of one subset: --subset keeps the rows whose is_<subset> flag is true, --where any Spark SQL condition;
an unknown subset or a bad condition is a usage error before anything is written."""

from __future__ import annotations

import gzip
import json

import pytest

from etl import tables
from etl.table_specs import GOLD_DOCUMENTS
from etl.export import MANIFEST, ExportOptions, ExportUsageError, export_table, validate

ROWS = [("d1", "https://a.example/code", "en", True, False, False, "def f(x):\n    return x"),
        ("d2", "https://a.example/math", "en", False, True, False, "x = 2 + 3 = 5"),
        ("d3", "https://a.example/both", "de", True, True, False, "y = f(2);"),
        ("d4", "https://a.example/qa", "de", False, False, True, "Q: Warum?\nA: Darum.")]
DDL = ("doc_id string, url string, language string, is_code boolean, is_math boolean, is_qa boolean, text string")


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory) -> str:
    lake = str(tmp_path_factory.mktemp("subset_export") / "lake")
    spark.createDataFrame(ROWS, DDL).write.format("delta").save(tables.table_path(lake, GOLD_DOCUMENTS))
    return lake


def exported_ids(out) -> list[str]:
    manifest = json.loads((out / MANIFEST).read_text())
    return [json.loads(line)["id"] for f in manifest["files"] for line in gzip.open(out / f["path"], "rt")]


def test_subset_and_where_select_rows(spark, lake, tmp_path):
    export_table(spark, lake, ExportOptions(out=str(tmp_path / "math"), subset="math"), progress=lambda _: None)
    assert exported_ids(tmp_path / "math") == ["d2", "d3"]
    manifest = json.loads((tmp_path / "math" / MANIFEST).read_text())
    assert manifest["filter"]["subset"] == "math"
    opts = ExportOptions(out=str(tmp_path / "where"), where="is_code AND language = 'de'")
    export_table(spark, lake, opts, progress=lambda _: None)
    assert exported_ids(tmp_path / "where") == ["d3"]


@pytest.mark.parametrize("opts, message", [
    ({"subset": "poetry"}, "--subset must be one of"),
    ({"where": " "}, "--where needs"),
])
def test_bad_subset_options_fail_validation(tmp_path, opts, message):
    with pytest.raises(ExportUsageError, match=message):
        validate(ExportOptions(out=str(tmp_path / "x"), **opts))


def test_bad_where_is_a_usage_error_before_writing(spark, lake, tmp_path):
    for where in ("no_such_column = 1", "is_code AND ("):
        with pytest.raises(ExportUsageError, match="--where"):
            export_table(spark, lake, ExportOptions(out=str(tmp_path / "bad"), where=where), progress=lambda _: None)
        assert not (tmp_path / "bad" / MANIFEST).exists()
