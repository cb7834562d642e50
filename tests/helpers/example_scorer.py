"""A user's scorer, written the way CONTRIBUTING.md says: a PythonScorer with one declared column and a "model"
loaded once per Python worker (each load appends the worker's pid to the file $EXAMPLE_SCORER_LOADS names on the
driver, so a test can count)."""

from __future__ import annotations

import os

from etl.catalog import Signal
from etl.silver.scorers import PythonScorer

LOADS_ENV = "EXAMPLE_SCORER_LOADS"
QUESTION_SIGNAL = Signal("question_mark_ratio", "double", "example", "question marks per character of text")


class QuestionMarks(PythonScorer):
    """Question marks per character: a stand-in for any model that reads the text."""

    name = "question_marks"
    inputs = ("text",)

    def __init__(self, loads_path: str | None = None):
        self.loads_path = loads_path  # read on the driver: workers do not see the driver's environment

    @property
    def signals(self):
        return (QUESTION_SIGNAL,)

    def load(self):
        if self.loads_path:
            with open(self.loads_path, "a", encoding="utf-8") as f:
                f.write(f"{os.getpid()}\n")
        return "?"  # the "model": the character to count

    def score(self, model, frame):
        texts = frame["text"].fillna("")
        return {"question_mark_ratio": [t.count(model) / len(t) if t else None for t in texts]}


def make(cfg):
    """The factory silver.scorers names: ``tests.helpers.example_scorer:make``."""
    return QuestionMarks(os.environ.get(LOADS_ENV))
