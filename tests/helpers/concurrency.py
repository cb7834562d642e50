"""Run one callable from several threads at once (sharing the session's SparkSession) and collect their errors."""

from __future__ import annotations

import threading
from typing import Callable


def run_at_once(action: Callable[[], object], threads: int) -> list[BaseException]:
    errors: list[BaseException] = []

    def guarded() -> None:
        try:
            action()
        except BaseException as exc:  # the caller decides which failures are allowed
            errors.append(exc)

    workers = [threading.Thread(target=guarded) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return errors
