"""Throughput of our quality signals against datatrove's four quality filters, single process, same documents.

The documents are the parity eval's set (real + generated, see evals/quality_parity.py). Both sides start cold:
our chunk cache and datatrove's tokenizer cache are warmed on other text only. Run: ``python bench/bench_quality.py``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from etl.silver import text_units  # noqa: E402
from etl.silver.quality import quality_signals_frame  # noqa: E402
from evals.quality_parity import datatrove_filters, documents  # noqa: E402

_WARMUP_TEXT = "Loading the tokenizer once before timing. It is not part of the measured documents."
BATCH_ROWS = 500  # rows per pandas batch, in the range Arrow hands a pandas UDF


def _time_ours(texts: list[str]) -> float:
    for cache in text_units._chunk_caches.values():
        cache.clear()
    quality_signals_frame(pd.Series([_WARMUP_TEXT]))
    for cache in text_units._chunk_caches.values():
        cache.clear()
    started = time.perf_counter()
    for start in range(0, len(texts), BATCH_ROWS):
        quality_signals_frame(pd.Series(texts[start : start + BATCH_ROWS], dtype=object))
    return time.perf_counter() - started


def _time_datatrove(texts: list[str]) -> float:
    from datatrove.data import Document

    filters = list(datatrove_filters().values())
    for flt in filters:  # loads spaCy before the clock starts
        flt.filter(Document(text=_WARMUP_TEXT, id="warmup"))
    started = time.perf_counter()
    for index, text in enumerate(texts):
        for flt in filters:
            flt.filter(Document(text=text, id=str(index)))
    return time.perf_counter() - started


def run(n_docs: int = 2000) -> dict:
    """Docs/s of quality_signals_frame and of datatrove's Gopher quality + repetition, C4 and FineWeb filters."""
    texts = [text for _, text in documents(n_docs)][:n_docs]
    ours = _time_ours(texts)
    theirs = _time_datatrove(texts)
    return {
        "docs": len(texts),
        "chars": sum(map(len, texts)),
        "ours_docs_per_s": round(len(texts) / ours, 1),
        "datatrove_docs_per_s": round(len(texts) / theirs, 1),
        "ratio_vs_datatrove": round(theirs / ours, 2),
    }


if __name__ == "__main__":
    print(run())
