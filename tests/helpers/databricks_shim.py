"""Run Databricks source-format notebooks locally: a `dbutils.widgets` stand-in, a `display` that materialises
what it is given, and a cell-by-cell runner, so tests execute the notebooks exactly as they ship.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NOTEBOOK_HEADER = "# Databricks notebook source"
CELL_SEPARATOR = "# COMMAND ----------"
MAGIC_PREFIX = "# MAGIC"
DISPLAY_ROWS = 20  # what Databricks would render first; enough to prove the plan runs
# Cells not run locally: markdown, and %pip (the package is installed here; tests/test_notebooks.py checks the line).
LOCAL_SKIPPED_MAGICS = ("md", "pip")


class Widgets:
    """`dbutils.widgets`: definitions keep their default unless the test supplied a value for that name."""

    def __init__(self, values: dict[str, str]):
        self._values = dict(values)
        self.defined: dict[str, str] = {}

    def _define(self, name: str, default: str) -> None:
        self.defined[name] = default

    def text(self, name: str, defaultValue: str = "", label: str | None = None) -> None:  # noqa: N803 (dbutils API)
        self._define(name, defaultValue)

    def dropdown(self, name: str, defaultValue: str, choices: list[str], label: str | None = None) -> None:  # noqa: N803
        self._define(name, defaultValue)

    combobox = dropdown

    def get(self, name: str) -> str:
        if name not in self.defined:
            raise ValueError(f"widget {name!r} was read before it was defined")  # Databricks fails the same way
        return self._values.get(name, self.defined[name])

    def removeAll(self) -> None:  # noqa: N802 (dbutils API)
        self.defined.clear()


class DBUtils:
    def __init__(self, widget_values: dict[str, str]):
        self.widgets = Widgets(widget_values)


@dataclass
class Displayed:
    """What one display() call showed: the kind and a small materialised value."""

    kind: str
    value: Any


@dataclass
class Display:
    """`display`: Spark DataFrames run (limited), pandas frames and matplotlib figures are kept as they are."""

    shown: list[Displayed] = field(default_factory=list)

    def __call__(self, obj: Any) -> None:
        from matplotlib.figure import Figure
        from pyspark.sql import DataFrame

        if isinstance(obj, DataFrame):
            self.shown.append(Displayed("spark", obj.limit(DISPLAY_ROWS).collect()))
            return
        if isinstance(obj, Figure):
            self.shown.append(Displayed("figure", obj))
            return
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover
            pd = None
        if pd is not None and isinstance(obj, pd.DataFrame):
            self.shown.append(Displayed("pandas", obj.head(DISPLAY_ROWS)))
            return
        raise TypeError(f"display() cannot show a {type(obj).__name__}")


@dataclass
class Cell:
    index: int
    source: str
    magic: str | None  # "md", "sql", ... for `# MAGIC %x` cells, None for Python


def read_cells(path: str | Path) -> list[Cell]:
    """Split a Databricks source notebook into cells (raises if the header is missing)."""
    text = Path(path).read_text(encoding="utf-8")
    first, _, body = text.partition("\n")
    if first.strip() != NOTEBOOK_HEADER:
        raise ValueError(f"{path}: first line must be {NOTEBOOK_HEADER!r}")
    cells = []
    for i, chunk in enumerate(body.split(f"\n{CELL_SEPARATOR}\n")):
        lines = [line for line in chunk.strip().splitlines() if line.strip()]
        if lines and all(line.startswith(MAGIC_PREFIX) for line in lines):
            magic = lines[0][len(MAGIC_PREFIX):].strip().split()[0].lstrip("%")
            cells.append(Cell(i, chunk, magic))
        else:
            cells.append(Cell(i, chunk, None))
    return cells


@dataclass
class NotebookRun:
    namespace: dict
    display: Display
    dbutils: DBUtils


def run_notebook(path: str | Path, spark, widgets: dict[str, str]) -> NotebookRun:
    """Execute every cell in order in one namespace holding `spark`, `dbutils` and `display`; markdown is skipped."""
    shim_display, dbutils = Display(), DBUtils(widgets)
    namespace = {"__name__": "__main__", "spark": spark, "dbutils": dbutils, "display": shim_display}
    for cell in read_cells(path):
        if cell.magic in LOCAL_SKIPPED_MAGICS:
            continue
        if cell.magic is not None:
            raise ValueError(f"{path} cell {cell.index}: %{cell.magic} cells cannot run locally")
        exec(compile(cell.source, f"{path}#cell{cell.index}", "exec"), namespace)
    unused = set(widgets) - set(dbutils.widgets.defined)
    if unused:
        raise ValueError(f"{path}: test values for widgets the notebook does not define: {sorted(unused)}")
    return NotebookRun(namespace, shim_display, dbutils)
