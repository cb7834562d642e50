"""Lake housekeeping: OPTIMIZE (compact small files) and VACUUM (delete files no version needs any more).

Why it is needed: every refresh commits a few small files per table (one batch, a few partitions), so after months
of nightly runs a table is thousands of small files that each cost a task and a footer read; and every OPTIMIZE or
rebuild leaves the replaced files on storage until VACUUM deletes them. Neither changes a row, so scheduled
housekeeping is safe next to refreshes: compaction commits with `dataChange=false`, and a refresh that still
collides with it retries (etl.tables.with_retries). The pipeline finds new work by anti-joins on current table
contents, not by time travel, so VACUUM never breaks an incremental refresh; it only limits how far back
`versionAsOf` reads (e.g. the run report's snippets) can go.

Z-order: `--zorder` also clusters gold/documents by `language`, the column its consumers filter on (one export per
language), so such reads skip the other languages' files. It is opt-in because, unlike compaction, which only
rewrites small files, Z-ordering rewrites the whole table on every run.

See docs/HOUSEKEEPING.md; the command line (jobs/housekeeping.py, `cc-etl housekeeping`) is etl.cli.housekeeping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from delta.tables import DeltaTable
from pyspark.sql import SparkSession

from etl import tables
from etl.gold.build import (GOLD_CLUSTERS, GOLD_DOCUMENTS, GOLD_DUPLICATES, GOLD_MINHASH_EDGES, GOLD_MINHASH_INDEX,
                            SILVER_DOCUMENTS)
from etl.pipeline import ALL_TABLES
from etl.progress import PROGRESS

HOUSEKEPT_TABLES = (*ALL_TABLES, PROGRESS)
# Refreshes look rows up by key with literal IN lists; clustering the key makes each data file hold a narrow key
# range, so Delta's min/max statistics skip every file that cannot hold one (README "Table layout").
ZORDER_COLUMNS = {tables.BRONZE_DOCUMENTS: ("doc_id",), GOLD_DOCUMENTS: ("doc_id",), SILVER_DOCUMENTS: ("doc_id",),
                  GOLD_DUPLICATES: ("doc_id",),
                  GOLD_CLUSTERS: ("doc_id",), GOLD_MINHASH_EDGES: ("doc_id",), GOLD_MINHASH_INDEX: ("band_hash",)}
# Delta's own default for `delta.deletedFileRetentionDuration` ("interval 1 week"): a reader or writer that started
# before a VACUUM may still need a file this old.
DEFAULT_RETENTION_HOURS = 168.0
RETENTION_PROPERTY = "delta.deletedFileRetentionDuration"
RETENTION_CHECK_CONF = "spark.databricks.delta.retentionDurationCheck.enabled"
CONFLICT_RETRIES = 5
HOURS_PER_UNIT = {"week": 168.0, "day": 24.0, "hour": 1.0, "minute": 1 / 60, "second": 1 / 3600,
                  "millisecond": 1 / 3_600_000, "microsecond": 1 / 3_600_000_000}
_INTERVAL_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(week|day|hour|minute|second|millisecond|microsecond)s?", re.I)


class RetentionError(ValueError):
    """A VACUUM retention shorter than a table promises its readers (the caller did not force it)."""


def retention_hours(interval: str | None) -> float:
    """Hours in a Delta interval such as 'interval 1 week' or '36 hours'; Delta's default when absent or unreadable."""
    parts = _INTERVAL_PART.findall(interval or "")
    if not parts:
        return DEFAULT_RETENTION_HOURS
    return sum(float(amount) * HOURS_PER_UNIT[unit.lower()] for amount, unit in parts)


@dataclass
class TableResult:
    name: str
    files_before: int
    files_after: int
    vacuumable: int
    zordered: bool = False


@dataclass
class HousekeepingSummary:
    lake: str
    retention_hours: float
    dry_run: bool
    results: list[TableResult] = field(default_factory=list)

    def lines(self) -> list[str]:
        vacuum_head = "would vacuum" if self.dry_run else "vacuumed"
        lines = [f"housekeeping {self.lake} (retention {self.retention_hours:g}h{', dry run' if self.dry_run else ''})",
                 f"  {'table':<22}{'files before':>13}{'files after':>13}{vacuum_head:>14}"]
        for r in self.results:
            note = "  (z-ordered)" if r.zordered else ""
            lines.append(f"  {r.name:<22}{r.files_before:>13,}{r.files_after:>13,}{r.vacuumable:>14,}{note}")
        return lines


def _detail(spark: SparkSession, path: str) -> tuple[int, dict]:
    row = DeltaTable.forPath(spark, path).detail().select("numFiles", "properties").first()
    return int(row["numFiles"]), dict(row["properties"] or {})


def _optimize(spark: SparkSession, path: str, zorder: tuple[str, ...]) -> None:
    def run() -> None:
        builder = DeltaTable.forPath(spark, path).optimize()
        builder.executeZOrderBy(*zorder) if zorder else builder.executeCompaction()

    tables.with_retries(run, CONFLICT_RETRIES, f"optimize {path}")


def _vacuum(spark: SparkSession, path: str, hours: float, dry_run: bool) -> int:
    """Number of files VACUUM deletes (or would delete); deletes them unless `dry_run`."""
    quoted = path.replace("`", "``")
    # DRY RUN lists the files without touching them: the only way to report a count, as VACUUM itself returns none.
    count = spark.sql(f"VACUUM delta.`{quoted}` RETAIN {hours:g} HOURS DRY RUN").count()
    if count and not dry_run:
        DeltaTable.forPath(spark, path).vacuum(hours)
    return count


def check_retention(spark: SparkSession, paths: dict[str, str], hours: float, force: bool) -> None:
    """Refuse, before touching any table, a retention below what a table promises its readers, unless forced."""
    if force:
        return
    for name, path in paths.items():
        _, properties = _detail(spark, path)
        floor = retention_hours(properties.get(RETENTION_PROPERTY))
        if hours < floor:
            raise RetentionError(f"--retention-hours {hours:g} is below {name}'s {floor:g}h "
                             f"({RETENTION_PROPERTY}): concurrent or time-travel reads could lose files; "
                             "pass --force if no reader can be running")


def run_housekeeping(spark: SparkSession, lake: str, names: tuple[str, ...] = HOUSEKEPT_TABLES,
                     hours: float = DEFAULT_RETENTION_HOURS, force: bool = False, zorder: bool = False,
                     optimize: bool = True, vacuum: bool = True, dry_run: bool = False) -> HousekeepingSummary:
    """OPTIMIZE then VACUUM each existing table of `names` under `lake`; absent tables are skipped."""
    paths = {name: tables.table_path(lake, name) for name in names if tables.exists(spark, lake, name)}
    if vacuum:
        check_retention(spark, paths, hours, force)
    summary = HousekeepingSummary(lake, hours, dry_run)
    previous_check = spark.conf.get(RETENTION_CHECK_CONF, "true")
    try:
        if force:  # Delta would refuse the short retention itself; --force is the user's explicit consent
            spark.conf.set(RETENTION_CHECK_CONF, "false")
        for name, path in paths.items():
            before, _ = _detail(spark, path)
            present = set(tables.read(spark, lake, name).columns)
            columns = tuple(c for c in ZORDER_COLUMNS.get(name, ()) if c in present) if zorder else ()
            if optimize and not dry_run:
                _optimize(spark, path, columns)
            after, _ = _detail(spark, path)
            removed = _vacuum(spark, path, hours, dry_run) if vacuum else 0
            summary.results.append(TableResult(name, before, after, removed, bool(columns) and not dry_run))
    finally:
        spark.conf.set(RETENTION_CHECK_CONF, previous_check)
    return summary
