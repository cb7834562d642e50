"""One place for each fact: table names, schemas and layouts are defined in etl.table_specs only."""

from __future__ import annotations

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
