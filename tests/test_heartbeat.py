"""The heartbeat: a line when a stage is quiet for too long, never otherwise, and Spark's activity in it."""

from __future__ import annotations

import threading

from etl.heartbeat import Heartbeat, spark_activity


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_beats_only_after_a_quiet_spell_and_names_the_last_line():
    lines: list[str] = []
    clock = FakeClock()
    beat = Heartbeat(lines.append, every=20, clock=clock)
    beat("silver: scoring 1,000 documents")
    clock.now = 19.9
    assert not beat.beat_if_quiet()
    clock.now = 20.0
    assert beat.beat_if_quiet()
    assert lines[-1].startswith("  ... still running (20 s in, 20 s since: silver: scoring 1,000 documents)")
    assert not beat.beat_if_quiet()  # the heartbeat itself counts as a line
    clock.now = 30.0
    beat("gold: 5 new documents")
    clock.now = 49.0
    assert not beat.beat_if_quiet()
    assert lines == ["silver: scoring 1,000 documents", lines[1], "gold: 5 new documents"]


def test_thread_starts_and_stops_with_the_block():
    lines: list[str] = []
    with Heartbeat(lines.append, every=0.05) as beat:
        beat("working")
        threading.Event().wait(0.3)
    count = len(lines)
    assert count >= 2 and all("still running" in line for line in lines[1:])
    threading.Event().wait(0.2)
    assert len(lines) == count  # stopped with the block


def test_spark_activity_reads_active_stages(spark):
    assert spark_activity(None) == ""
    seen: list[str] = []

    def watch():
        for _ in range(200):
            text = spark_activity(spark)
            if text:
                seen.append(text)
                return
            threading.Event().wait(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    # A job long enough to be seen running: a few partitions that each sleep a little.
    spark.range(0, 4, numPartitions=4).selectExpr("reflect('java.lang.Thread', 'sleep', 500L) as s").collect()
    watcher.join()
    assert seen and seen[0].startswith("stage ") and "tasks" in seen[0]
