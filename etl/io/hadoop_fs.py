"""Inputs on Hadoop filesystems (hdfs://, abfss://, gs://, dbfs:/, viewfs://; s3a:// with ingest.read_with_spark):
listed and read by Spark itself, so they work wherever the cluster can reach them, Spark Connect included.

Python opens local files and http(s)/s3 URLs directly (streaming, never a whole file in memory); everything else goes
through Spark's ``binaryFile`` source, which lists with Hadoop's FileSystem (globs and directories) and hands each
file's bytes to the same parser. One scan per file keeps one file per Spark task, as cc-pyspark does.
"""

from __future__ import annotations

import functools
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from etl.io.sources import WET_SUFFIXES, has_scheme, is_remote

BINARY_FILE = "binaryFile"
GLOB_CHARS = "*?[{"
PYTHON_ONLY_SCHEMES = ("http://", "https://", "s3://")
S3A_SCHEME = "s3a://"


def read_by_spark(path: str, always: bool = False) -> bool:
    """True for paths Python cannot open itself (a scheme other than file:, http(s), s3 and s3a); with ``always``
    also local paths and s3a:// (hadoop-aws). http(s):// and s3:// stay with Python: Hadoop cannot read them."""
    if path.startswith(PYTHON_ONLY_SCHEMES):
        return False
    return always or (has_scheme(path) and not is_remote(path))


def list_files(spark: SparkSession, item: str) -> list[str] | None:
    """The WET files of one file, directory or glob on a Hadoop filesystem, as Spark qualifies them (sorted);
    None when the path does not exist. Only paths are read (binaryFile reads contents only when selected)."""
    try:
        listing = (spark.read.format(BINARY_FILE).option("recursiveFileLookup", "true").load(item)
                   .select("path").collect())
    except Exception as exc:  # AnalysisException "Path does not exist" (its class differs under Spark Connect)
        if "PATH_NOT_FOUND" in str(exc) or "does not exist" in str(exc):
            return None
        raise
    return sorted(row.path for row in listing if row.path.endswith(WET_SUFFIXES))


def file_size(spark: SparkSession, path: str) -> int | None:
    """Bytes of one file on a Hadoop filesystem (a listing, not a read), or None when it is not there."""
    try:
        row = spark.read.format(BINARY_FILE).load(path).select("length").first()
    except Exception as exc:
        if "PATH_NOT_FOUND" in str(exc) or "does not exist" in str(exc):
            return None
        raise
    return None if row is None else int(row.length)


def _names_itself(item: str, listed: list[str]) -> bool:
    """True when ``item`` is one file (not a glob or directory): it keeps the user's spelling in the ingest log."""
    name = item.rstrip("/").rsplit("/", 1)[-1]
    return not any(ch in item for ch in GLOB_CHARS) and len(listed) == 1 and listed[0].endswith("/" + name)


def expand(spark: SparkSession, files: list[str], s3a_with_spark: bool = False) -> tuple[list[str], list[str], list[str]]:
    """(``files`` with each Hadoop-filesystem glob or directory replaced by its WET files, why items matched nothing,
    the items that do not exist). Local paths and http(s)/s3 URLs pass through: preflight already expanded them.
    ``s3a_with_spark`` (ingest.read_with_spark): s3a:// items are listed through hadoop-aws too."""
    out: list[str] = []
    unmatched: list[str] = []
    missing: list[str] = []
    for item in files:
        if not (read_by_spark(item) or (s3a_with_spark and item.startswith(S3A_SCHEME))):
            out.append(item)
            continue
        listed = list_files(spark, item)
        if listed is None:
            unmatched.append(f"{item} (no such file or directory)")
            missing.append(item)
            out.append(item)  # kept: a run allowed to miss inputs logs it as unreachable
        elif not listed:
            unmatched.append(f"{item} (no {', '.join(WET_SUFFIXES)} files)")
        else:
            out.extend([item] if _names_itself(item, listed) else listed)
    return sorted(set(out)), unmatched, missing


def read_contents(spark: SparkSession, files: list[str]) -> DataFrame:
    """``path, content`` for ``files``: one scan (hence one task) per file, so one file's bytes at a time."""
    scans = [spark.read.format(BINARY_FILE).load(f).select(F.lit(f).alias("path"), "content") for f in files]
    return functools.reduce(DataFrame.unionByName, scans)
