"""Lake housekeeping: OPTIMIZE (compact small files) and VACUUM (delete files no version needs any more).

Why it is needed: every refresh commits a few small files per table (one batch, a few partitions), so after months
of nightly runs a table is thousands of small files that each cost a task and a footer read; and every OPTIMIZE or
rebuild leaves the replaced files on storage until VACUUM deletes them. Compaction changes no row and commits with
`dataChange=false`, and a refresh that collides with it retries (etl.commits.with_retries).

VACUUM is what can hurt the pipeline: silver and gold read what their source gained since the version they processed
from its Change Data Feed, and a step left open by a crash re-reads the versions it pinned (etl.progress). Those
reads need files that OPTIMIZE may already have replaced, so a VACUUM must not delete a file a stage has not read
yet: it is refused for that table (unless `force`) when a stage lags behind its source. Silver, if it still meets
such a gap (forced, or older lakes), recovers by comparing bronze with silver by doc_id (etl.silver.build).

Z-order: `zorder` clusters the tables refreshes look rows up in by their key (doc_id; band_hash for the LSH index),
so Delta's min/max statistics skip the files that cannot hold a key. It is opt-in because, unlike compaction, which
only rewrites small files, Z-ordering rewrites the whole table on every run.

See docs/HOUSEKEEPING.md; the command line (jobs/housekeeping.py, `cc-etl housekeeping`) is etl.cli.housekeeping.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Callable

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from etl import progress as stage_progress
from etl import table_specs, tables

HOUSEKEPT_TABLES = (*table_specs.DATA_TABLES, table_specs.PROGRESS)
# Refreshes look rows up by key with literal IN lists; clustering the key makes each data file hold a narrow key
# range, so Delta's min/max statistics skip every file that cannot hold one (README "Table layout").
ZORDER_COLUMNS = {s.name: s.zorder for s in table_specs.all_specs() if s.zorder}
# Delta's own default for `delta.deletedFileRetentionDuration` ("interval 1 week"): a reader or writer that started
# before a VACUUM may still need a file this old.
DEFAULT_RETENTION_HOURS = 168.0
RETENTION_PROPERTY = "delta.deletedFileRetentionDuration"
RETENTION_CHECK_CONF = "spark.databricks.delta.retentionDurationCheck.enabled"
CONFLICT_RETRIES = 5
# Tables housekept at once. Most of a small table's time is driver-side (log replay, listing, commit), so a few
# threads overlap it even on two cores; more would only queue on the executors.
DEFAULT_PARALLELISM = 4
# VACUUM lists a table's directories with up to this many tasks, 10,000 by default: on a small lake that is tens of
# thousands of shuffle files per table (112 s for one dry run of the sample lake's bronze, and minutes of deleting
# them when the JVM exits). Housekeeping lowers it to the session's shuffle partitions while it runs (7 s).
LISTING_PARALLELISM_CONF = "spark.sql.sources.parallelPartitionDiscovery.parallelism"
SHUFFLE_PARTITIONS_CONF = "spark.sql.shuffle.partitions"
HOURS_PER_UNIT = {"week": 168.0, "day": 24.0, "hour": 1.0, "minute": 1 / 60, "second": 1 / 3600,
                  "millisecond": 1 / 3_600_000, "microsecond": 1 / 3_600_000_000}
_INTERVAL_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(week|day|hour|minute|second|millisecond|microsecond)s?", re.I)


class RetentionError(ValueError):
    """A VACUUM retention shorter than a table promises its readers (the caller did not force it)."""


class UnreadFilesError(ValueError):
    """VACUUM would delete files a stage has not read yet (the caller did not force it); the other tables were done."""


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
    seconds: float = 0.0
    note: str = ""  # e.g. "nothing to compact", or why VACUUM was refused


@dataclass
class UnreadBy:
    """Files of one table that a stage still has to read, and what the stage has processed."""
    stage: str
    processed: int
    files: set[str]


@dataclass
class HousekeepingSummary:
    lake: str
    retention_hours: float
    dry_run: bool
    results: list[TableResult] = field(default_factory=list)

    def header(self) -> list[str]:
        vacuum_head = "would vacuum" if self.dry_run else "vacuumed"
        return [f"housekeeping {self.lake} (retention {self.retention_hours:g}h{', dry run' if self.dry_run else ''})",
                f"  {'table':<22}{'files before':>13}{'files after':>13}{vacuum_head:>14}{'seconds':>9}"]

    @staticmethod
    def row(r: TableResult) -> str:
        notes = ", ".join(n for n in ("z-ordered" if r.zordered else "", r.note) if n)
        return (f"  {r.name:<22}{r.files_before:>13,}{r.files_after:>13,}{r.vacuumable:>14,}{r.seconds:>9.1f}"
                + (f"  ({notes})" if notes else ""))

    def lines(self) -> list[str]:
        return [*self.header(), *(self.row(r) for r in self.results)]

    def total(self) -> str:
        return (f"  {len(self.results)} tables: {sum(r.files_before - r.files_after for r in self.results):,} fewer "
                f"files, {sum(r.vacuumable for r in self.results):,} "
                f"{'to vacuum' if self.dry_run else 'vacuumed'}")


def _detail(spark: SparkSession, path: str) -> tuple[int, dict]:
    row = tables.detail(spark, path)
    return int(row["numFiles"]), dict(row["properties"] or {})


def _needs_compaction(spark: SparkSession, path: str) -> bool:
    """True when some partition directory holds two or more files (Delta names them from its log; no data read)."""
    dirs = [f.rsplit("/", 1)[0] for f in tables.data_files(spark, path)]
    return len(dirs) > len(set(dirs))


def _vacuum_candidates(spark: SparkSession, path: str, hours: float) -> list[str]:
    """Paths VACUUM would delete now. DRY RUN lists them without touching them: VACUUM itself returns no count, and
    their names are what the stages' unread files are checked against."""
    return tables.vacuum(spark, path, hours, dry_run=True)


def _commit_files(spark: SparkSession, path: str, after: int, action: str) -> set[str]:
    """Names of the data files that the commits after version `after` add with a data change ("add"; compaction's
    adds change no data) or remove ("remove"), read from the Delta log's JSON commits."""
    latest = tables.latest_version(spark, path)
    if latest <= after:
        return set()
    commits = spark.read.json([f"{path}/_delta_log/{v:020d}.json" for v in range(after + 1, latest + 1)])
    if action not in commits.columns:
        return set()
    files = commits.where(F.col(f"{action}.path").isNotNull())
    if action == "add":
        files = files.where(F.col("add.dataChange"))
    return {r[0].rsplit("/", 1)[-1] for r in files.select(f"{action}.path").collect()}


def unread_files(spark: SparkSession, lake: str) -> dict[str, list[UnreadBy]]:
    """Per table, the files a stage has not read yet: added to its source after the version it processed (its next
    step reads them from the Change Data Feed), and, for a step a crash left open, files removed after the versions
    it pinned (its rerun reads those versions)."""
    needs: dict[str, list[UnreadBy]] = {}
    if not tables.exists(spark, lake, table_specs.PROGRESS):
        return needs
    for stage, source in table_specs.STAGE_SOURCES.items():
        if not tables.exists(spark, lake, source):
            continue
        processed, pending, _ = stage_progress.state(spark, lake, stage)
        start = pending.after_version if pending is not None else processed
        wanted: dict[str, set[str]] = {}
        if start >= 0:  # from the start a stage reads the source's current snapshot, not old versions
            wanted[source] = _commit_files(spark, tables.table_path(lake, source), start, "add")
        if pending is not None:
            for name, version in {**pending.pinned, source: pending.upto_version}.items():
                if version is not None and version >= 0 and tables.exists(spark, lake, name):
                    removed = _commit_files(spark, tables.table_path(lake, name), version, "remove")
                    wanted[name] = wanted.get(name, set()) | removed
        for name, files in wanted.items():
            if files:
                needs.setdefault(name, []).append(UnreadBy(stage, start, files))
    return needs


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


def _housekeep_table(spark: SparkSession, lake: str, name: str, path: str, hours: float, force: bool, zorder: bool,
                     optimize: bool, vacuum: bool, dry_run: bool,
                     unread: list[UnreadBy]) -> tuple[TableResult, str | None]:
    """OPTIMIZE then VACUUM one table; the result row, and what to report if its VACUUM was refused."""
    t0 = time.perf_counter()
    before, _ = _detail(spark, path)
    present = set(tables.read(spark, lake, name).columns)
    columns = tuple(c for c in ZORDER_COLUMNS.get(name, ()) if c in present) if zorder else ()
    after, notes = before, []
    if optimize and not dry_run:
        if columns or _needs_compaction(spark, path):
            tables.optimize(spark, path, columns, CONFLICT_RETRIES)
            after, _ = _detail(spark, path)
        else:
            notes.append("nothing to compact")
    candidates = _vacuum_candidates(spark, path, hours) if vacuum else []
    names = {c.rsplit("/", 1)[-1] for c in candidates}
    blocked = [(u, names & u.files) for u in unread if names & u.files]
    refusal = None
    if blocked and not force:
        why = "; ".join(f"{len(files):,} {u.stage} has not read (it processed up to version {u.processed})"
                        for u, files in blocked)
        notes.append(f"VACUUM refused: it would delete {why}")
        refusal = f"{name} ({', '.join(u.stage for u, _ in blocked)})"
    elif candidates and not dry_run:
        tables.vacuum(spark, path, hours)
    deleted = 0 if blocked and not force else len(candidates)
    return (TableResult(name, before, after, deleted, bool(columns) and not dry_run, time.perf_counter() - t0,
                        "; ".join(notes)), refusal)


def run_housekeeping(spark: SparkSession, lake: str, names: tuple[str, ...] = HOUSEKEPT_TABLES,
                     hours: float = DEFAULT_RETENTION_HOURS, force: bool = False, zorder: bool = False,
                     optimize: bool = True, vacuum: bool = True, dry_run: bool = False,
                     progress: Callable[[str], None] = print,
                     parallelism: int = DEFAULT_PARALLELISM) -> HousekeepingSummary:
    """OPTIMIZE then VACUUM each existing table of `names` under `lake` (absent tables are skipped), `parallelism`
    tables at a time, printing a line per table as it is done. A table whose files are all alone in their partition
    is not compacted; a VACUUM that would delete files a stage has not read yet is refused unless `force`
    (UnreadFilesError once every table is done).
    """
    summary = HousekeepingSummary(lake, hours, dry_run)
    for line in summary.header():
        progress(line)
    paths = {name: tables.table_path(lake, name) for name in names if tables.exists(spark, lake, name)}
    if vacuum:
        check_retention(spark, paths, hours, force)
    unread = unread_files(spark, lake) if vacuum else {}
    refused: list[str] = []
    previous = {key: spark.conf.get(key, None) for key in (RETENTION_CHECK_CONF, LISTING_PARALLELISM_CONF)}
    try:
        spark.conf.set(LISTING_PARALLELISM_CONF, spark.conf.get(SHUFFLE_PARTITIONS_CONF))
        if force:  # Delta would refuse the short retention itself; --force is the user's explicit consent
            spark.conf.set(RETENTION_CHECK_CONF, "false")

        def one(name: str, path: str) -> tuple[TableResult, str | None]:
            return _housekeep_table(spark, lake, name, path, hours, force, zorder, optimize, vacuum, dry_run,
                                    unread.get(name, []))

        # Tables are independent Delta logs: their OPTIMIZE and VACUUM run side by side (Spark schedules the jobs
        # of several threads together), so a lake's housekeeping takes about as long as its largest table.
        with ThreadPoolExecutor(max_workers=max(1, min(parallelism, len(paths) or 1))) as pool:
            futures = {pool.submit(one, name, path): name for name, path in paths.items()}
            done: dict[str, TableResult] = {}
            for future in as_completed(futures):
                result, refusal = future.result()
                done[result.name] = result
                progress(summary.row(result))
                if refusal:
                    refused.append(refusal)
        summary.results.extend(done[name] for name in paths)  # in the lake's table order, whatever finished first
    finally:
        for key, value in previous.items():
            spark.conf.unset(key) if value is None else spark.conf.set(key, value)
    if refused:
        raise UnreadFilesError(f"VACUUM refused for {', '.join(refused)}: it would delete files those stages have not "
                               "read yet; run them first (python jobs/refresh.py, or jobs/build_silver.py / "
                               "jobs/build_gold.py), or pass --force to delete them anyway")
    return summary
