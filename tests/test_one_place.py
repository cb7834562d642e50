"""One place for each fact: table names, schemas and layouts are defined in etl.table_specs only."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from etl import table_specs

ROOT = Path(__file__).resolve().parents[1]
SPEC_MODULE = ROOT / "etl" / "table_specs.py"


def etl_sources() -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8") for p in (ROOT / "etl").rglob("*.py") if p != SPEC_MODULE}


def test_table_names_are_written_only_in_the_spec_module():
    names = [s.name for s in table_specs.all_specs()]
    found = {(str(p.relative_to(ROOT)), name) for p, text in etl_sources().items() for name in names
             if re.search(r"""["']""" + re.escape(name) + r"""["']""", text)}
    assert not found, f"table names written outside etl/table_specs.py: {sorted(found)}"


def test_every_table_has_one_spec_with_a_comment():
    specs = table_specs.all_specs()
    assert len({s.name for s in specs}) == len(specs)
    assert all(s.comment for s in specs)
    for name in (*table_specs.DATA_TABLES, *table_specs.STATE_TABLES, table_specs.RUNS):
        assert table_specs.spec(name).name == name


# A DDL column ("name type" or "`name` type"); a literal is DDL when every comma-separated part is one.
DDL_COLUMN = re.compile(r"\s*`?(\w+)`?\s+\w+(<[\w<>]*>)?\s*")
# Columns a stage adds to a frame as it writes it: a schema without them restates the table's too.
WRITE_COLUMNS = re.compile(r"\w*_run_id|\w*_at")


def written_schemas(text: str) -> list[tuple[str, ...]]:
    """Column names of every DDL string literal and every StructType([StructField("name", ...), ...]) in `text`."""
    found = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and "," in node.value:
            parts = [DDL_COLUMN.fullmatch(part) for part in node.value.split(",")]
            if all(parts):
                found.append(tuple(m.group(1) for m in parts))
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "StructType":
            names = tuple(f.args[0].value for f in ast.walk(node) if isinstance(f, ast.Call) and f.args
                          and getattr(f.func, "attr", getattr(f.func, "id", "")) == "StructField"
                          and isinstance(f.args[0], ast.Constant))
            if len(names) > 1:
                found.append(names)
    return found


def spec_columns() -> dict[tuple[str, ...], str]:
    """Each fixed schema's columns, with and without the columns added at write -> the table's name."""
    out = {}
    for s in table_specs.all_specs():
        if s.schema is not None:
            names = tuple(s.schema.fieldNames())
            out[names] = out[tuple(n for n in names if not WRITE_COLUMNS.fullmatch(n))] = s.name
    return out


def test_schema_finder_sees_ddl_and_struct_types():
    text = ('A = ("doc_id string, cluster_id string")\n'
            'B = T.StructType([T.StructField("band", T.IntegerType()), T.StructField("doc_id", T.StringType())])\n'
            'C = "a, b"\n')
    assert written_schemas(text) == [("doc_id", "cluster_id"), ("band", "doc_id")]


def test_table_schemas_are_written_only_in_the_spec_module():
    """A table with a spec takes its schema from it (`table_specs.schema(name)`), never from a restated copy."""
    tables_ = spec_columns()
    found = sorted((str(p.relative_to(ROOT)), tables_[cols]) for p, text in etl_sources().items()
                   for cols in written_schemas(text) if cols in tables_)
    assert not found, f"table schemas restated outside etl/table_specs.py: {found}"


def test_layout_properties_are_only_set_in_the_spec_module():
    """Partitioning, Change Data Feed and deletion-vector settings are spec fields, not repeated by a stage."""
    pattern = re.compile(r"delta\.(enableChangeDataFeed|enableDeletionVectors|dataSkippingStatsColumns)")
    found = [str(p.relative_to(ROOT)) for p, text in etl_sources().items() if pattern.search(text)]
    assert not found, f"Delta layout properties set outside etl/table_specs.py: {found}"


def test_no_module_re_aliases_a_table_name():
    """`X = tables.X` or `X = specs.X` style aliases hide where a name lives."""
    names = "|".join(re.escape(n) for n in dir(table_specs) if n.isupper())
    alias = re.compile(r"^(" + names + r")\s*=\s*[\w.]*\.(" + names + r")\b", re.M)
    found = [str(p.relative_to(ROOT)) for p, text in etl_sources().items() if alias.search(text)]
    assert not found, f"table names re-aliased in: {found}"


def test_shipped_files_are_located_only_in_etl_bundled():
    """Every module reaches etl/resources through etl.bundled.resource, never by building the path itself."""
    pattern = re.compile(r"""["']resources["']|resources\.files\(|^from importlib import resources$""", re.M)
    found = [str(p.relative_to(ROOT)) for p, text in etl_sources().items()
             if p.name != "bundled.py" and pattern.search(text)]
    assert not found, f"resource paths built outside etl/bundled.py: {found}"
