"""Delta operations as SQL text on path tables (delta.`path`): what a Spark Connect session can run.

Over Spark Connect a server needs only delta-spark and its two confs for these, not the Delta Connect plugin that
Python's DeltaTable needs there. etl.tables chooses between these and DeltaTable per session.
"""

from __future__ import annotations

from typing import Sequence

from pyspark.sql import types as T

# Temporary views that carry a frame into a MERGE statement.
CONNECT_VIEW_PREFIX = "_etl_src_"


def ident(path: str) -> str:
    """The path-based Delta table identifier delta.`path` (backticks in the path doubled)."""
    return "delta.`" + path.replace("`", "``") + "`"


def string(value: str) -> str:
    """A Spark SQL string literal (backslash and quote escaped)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def literal(value) -> str:
    """A key value as SQL: strings quoted, numbers as they are (the only key types the pipeline deletes by)."""
    if isinstance(value, str):
        return string(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"cannot write {type(value).__name__} keys as SQL literals")
    return repr(value)


def column(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def create_table(path: str, schema: T.StructType, properties: dict[str, str], partition_by: Sequence[str],
                 comment: str | None = None) -> str:
    """CREATE TABLE IF NOT EXISTS with DeltaTable.createIfNotExists's result: same columns, nullability, comments,
    partitioning and properties."""
    def field(f: T.StructField) -> str:
        text = (f.metadata or {}).get("comment")
        return (f"{column(f.name)} {f.dataType.simpleString()}" + ("" if f.nullable else " NOT NULL")
                + (f" COMMENT {string(text)}" if text else ""))

    columns = ", ".join(field(f) for f in schema.fields)
    parts = f" PARTITIONED BY ({', '.join(column(c) for c in partition_by)})" if partition_by else ""
    props = ", ".join(f"{string(k)} = {string(v)}" for k, v in properties.items())
    return (f"CREATE TABLE IF NOT EXISTS {ident(path)} ({columns}) USING DELTA{parts}"
            + (f" COMMENT {string(comment)}" if comment else "")
            + (f" TBLPROPERTIES ({props})" if props else ""))


def optimize(path: str, zorder: Sequence[str] = ()) -> str:
    """OPTIMIZE (compaction), or OPTIMIZE ... ZORDER BY when `zorder` names columns."""
    return f"OPTIMIZE {ident(path)}" + (f" ZORDER BY ({', '.join(column(c) for c in zorder)})" if zorder else "")


def vacuum(path: str, hours: float, dry_run: bool = False) -> str:
    return f"VACUUM {ident(path)} RETAIN {hours:g} HOURS" + (" DRY RUN" if dry_run else "")
