"""Commit safety for every Delta write: conflict detection and retries, and the test-only kill switch."""

from __future__ import annotations

import os
import signal
import time
from typing import Callable, TypeVar

from delta.exceptions import DeltaConcurrentModificationException

T_ = TypeVar("T_")

# Test-only fault injection: SIGKILL this process after N successful commits, to prove crash safety.
KILL_AFTER_COMMITS_ENV = "ETL_KILL_AFTER_COMMITS"
_commits = 0

# Delta's optimistic-concurrency errors (another writer committed first) are recognised by type: re-reading and
# retrying is safe for our idempotent writes; every other error is raised at once.
CONFLICT_JAVA_MARKERS = ("Concurrent", "MetadataChangedException", "ProtocolChangedException")
# The same family as Delta's error conditions: all a Spark Connect client sees of a server-side exception.
CONFLICT_ERROR_CONDITIONS = ("DELTA_CONCURRENT_", "DELTA_METADATA_CHANGED", "DELTA_PROTOCOL_CHANGED")
# Backoff before retry n: BACKOFF_S * 2**n seconds.
BACKOFF_S = 0.2


def is_conflict(exc: BaseException) -> bool:
    """True for Delta's concurrent-modification family, by Python type or by the Java exception's class."""
    if isinstance(exc, DeltaConcurrentModificationException):
        return True
    condition = getattr(exc, "getCondition", None)
    if callable(condition) and (condition() or "").startswith(CONFLICT_ERROR_CONDITIONS):
        return True
    java = getattr(exc, "java_exception", None) or getattr(exc, "_origin", None)
    try:
        name = java.getClass().getName() if java is not None else ""
    except Exception:  # a detached JVM object: not a conflict we can prove
        return False
    return name.startswith(("io.delta", "org.apache.spark.sql.delta")) and any(m in name for m in CONFLICT_JAVA_MARKERS)


def with_retries(action: Callable[[], T_], retries: int, what: str) -> T_:
    """Run a Delta write, retrying on concurrent-commit conflicts with a short backoff."""
    for attempt in range(retries + 1):
        try:
            return action()
        except Exception as exc:
            if not is_conflict(exc) or attempt == retries:
                raise
            time.sleep(BACKOFF_S * (2**attempt))
    raise AssertionError("unreachable")  # pragma: no cover


def committed() -> None:
    """Call after each commit; honours the test-only kill switch."""
    global _commits
    _commits += 1
    limit = os.environ.get(KILL_AFTER_COMMITS_ENV)
    if limit and _commits >= int(limit):
        os.kill(os.getpid(), signal.SIGKILL)
