"""Lake tables in a metastore (Hive, Unity Catalog): external tables registered over their paths."""

from __future__ import annotations

from typing import Iterable

from pyspark.sql import SparkSession

from etl import tables


def catalog_name(name: str) -> str:
    """The metastore name of a lake table: ``bronze/documents`` -> ``bronze_documents``."""
    return name.replace("/", "_")


def register_tables(spark: SparkSession, lake: str, names: Iterable[str], schema: str,
                    catalog: str | None = None) -> list[str]:
    """Register the existing tables ``names`` as external Delta tables ``[catalog.]schema.<name>`` over their
    paths (idempotent: an existing registration is kept); returns the qualified names registered."""
    namespace = ".".join(f"`{part}`" for part in (catalog, schema) if part)
    spark.sql(f"CREATE SCHEMA IF NOT EXISTS {namespace}")
    done = []
    for name in names:
        if not tables.exists(spark, lake, name):
            continue
        ident = f"{namespace}.`{catalog_name(name)}`"
        location = tables.table_path(lake, name).replace("'", "\\'")
        spark.sql(f"CREATE TABLE IF NOT EXISTS {ident} USING DELTA LOCATION '{location}'")
        done.append(ident.replace("`", ""))
    return done
