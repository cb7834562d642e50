"""Bounded text windows, in Python and in Spark SQL: what the classifiers score and the lexicon cuts sentences by.

Toxicity of the Commons annotates chunks, so a document is scored window by window and the windows aggregated by
maximum: neither the lexicon tier nor a model score grows with document length. Lines are packed into windows of
at most WINDOW_MAX_CHARS characters (about a tweet to a short paragraph, the length the classifiers were trained
on); a longer line is cut at its last space within the cap (anywhere in a script without spaces). The classifiers
score the first MODEL_MAX_WINDOWS windows (about the 10,000 characters they read before windows); the lexicon
scores every sentence. ``window_column`` builds the same windows in Spark SQL from WINDOW_PIECE_RE (the regex
behaves the same in Python and Java); a test holds the two equal.
"""

from __future__ import annotations

import re

from pyspark.sql import functions as F, types as T

WINDOW_MAX_CHARS = 1000
MODEL_MAX_WINDOWS = 10
WINDOW_LINE_BREAK = "\n"
WINDOW_PIECE_RE = f"(?s)[^ ].{{0,{WINDOW_MAX_CHARS - 1}}}(?= |(?!.))|[^ ].{{0,{WINDOW_MAX_CHARS - 1}}}"
WINDOW_PIECE = re.compile(WINDOW_PIECE_RE)


def text_windows(text: str | None) -> list[str]:
    """The document's windows, in order (none for empty or blank text)."""
    windows: list[str] = []
    current = ""
    for line in (text or "").split(WINDOW_LINE_BREAK):
        for piece in WINDOW_PIECE.findall(line):
            if current and len(current) + len(WINDOW_LINE_BREAK) + len(piece) <= WINDOW_MAX_CHARS:
                current += WINDOW_LINE_BREAK + piece
            else:
                if current:
                    windows.append(current)
                current = piece
    if current:
        windows.append(current)
    return windows


def window_column(text_col: str) -> F.Column:
    """``text_windows`` in Spark SQL: lines cut into pieces by the same regex, then packed greedily into windows of
    at most ``WINDOW_MAX_CHARS``; text without a window gives one empty window."""
    pieces = F.flatten(F.transform(F.split(F.coalesce(F.col(text_col), F.lit("")), WINDOW_LINE_BREAK, -1),
                                   lambda line: F.regexp_extract_all(line, F.lit(WINDOW_PIECE_RE), F.lit(0))))
    joinable = lambda acc, piece: (F.size(acc) > 0) & (  # noqa: E731
        F.length(F.element_at(acc, -1)) + len(WINDOW_LINE_BREAK) + F.length(piece) <= WINDOW_MAX_CHARS)
    packed = F.aggregate(
        pieces, F.array().cast(T.ArrayType(T.StringType())),
        lambda acc, piece: F.when(joinable(acc, piece), F.concat(
            F.slice(acc, 1, F.size(acc) - 1), F.array(F.concat(F.element_at(acc, -1), F.lit(WINDOW_LINE_BREAK), piece)))
        ).otherwise(F.concat(acc, F.array(piece))))
    return F.when(F.size(packed) > 0, packed).otherwise(F.array(F.lit("")))
