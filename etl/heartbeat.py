"""A progress line at least every HEARTBEAT_SECONDS while a long stage runs, so a run is never silent for minutes.

Wraps a job's ``progress`` callable: every line passes through unchanged; when none has come for a while, a
background thread prints what is running, for how long, and (on a classic session) Spark's active stages with
their finished/total tasks, read from the status tracker, which costs nothing on the cluster.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from pyspark.sql import SparkSession

from etl.spark import classic_context

# Quiet this long -> one "still running" line. Below the 30 s a user waits before thinking the run hangs.
HEARTBEAT_SECONDS = 20.0
MAX_STAGES_SHOWN = 3
LABEL_CHARS = 80  # how much of the last line a heartbeat repeats
CHECKS_PER_INTERVAL = 4  # the thread looks this often per interval, so a beat is at most a quarter late


def spark_activity(spark: SparkSession | None) -> str:
    """``stage 12: 3/8 tasks, stage 13: 0/2 tasks``, or "" (nothing running, or Spark Connect: no tracker)."""
    sc = classic_context(spark) if spark is not None else None
    if sc is None:
        return ""
    try:
        tracker = sc.statusTracker()
        parts = []
        for stage_id in sorted(tracker.getActiveStageIds())[:MAX_STAGES_SHOWN]:
            info = tracker.getStageInfo(stage_id)
            if info is not None:
                parts.append(f"stage {stage_id}: {info.numCompletedTasks}/{info.numTasks} tasks")
        return ", ".join(parts)
    except Exception:  # the context is stopping: a heartbeat must never fail the run
        return ""


class Heartbeat:
    """``with Heartbeat(print, spark) as progress: ...`` then call ``progress(line)`` as before."""

    def __init__(self, progress: Callable[[str], None], spark: SparkSession | None = None,
                 every: float = HEARTBEAT_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self._progress, self._spark, self._every, self._clock = progress, spark, every, clock
        self._lock = threading.Lock()
        self._started = self._last = clock()
        self._label = "starting"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __call__(self, line: str) -> None:
        with self._lock:
            self._last = self._clock()
            self._label = line.strip().split("\n", 1)[0][:LABEL_CHARS] or self._label
        self._progress(line)

    def beat_if_quiet(self) -> bool:
        """One 'still running' line when nothing was said for ``every`` seconds; True when it printed."""
        with self._lock:
            now = self._clock()
            if now - self._last < self._every:
                return False
            quiet, total, label = now - self._last, now - self._started, self._label
            self._last = now
        activity = spark_activity(self._spark)
        self._progress(f"  ... still running ({total:.0f} s in, {quiet:.0f} s since: {label})"
                       + (f"; Spark {activity}" if activity else ""))
        return True

    def _run(self) -> None:
        while not self._stop.wait(self._every / CHECKS_PER_INTERVAL):
            self.beat_if_quiet()

    def __enter__(self) -> "Heartbeat":
        self._thread = threading.Thread(target=self._run, name="etl-heartbeat", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self._every)
