"""CLI over etl.synth.neardup (the generator bench/ and evals/ share): `python -m bench.gen_neardup [N]` makes N
GENERATED near-duplicate documents and prints their size and timing."""

from __future__ import annotations

import json
import sys
import time

import numpy as np

from etl.synth.neardup import generate

DEFAULT_DOCS = 10_000


def main(argv: list[str]) -> None:
    t0 = time.perf_counter()
    n = int(argv[0]) if argv else DEFAULT_DOCS
    ids, texts, planted = generate(n)
    print(json.dumps({
        "data": "GENERATED near-duplicates from real words (OSCAR 22.01 en/es/de/fr + Clough-Stevenson)",
        "n_docs": len(ids),
        "planted": len(planted),
        "mean_doc_bytes": round(float(np.mean([len(t.encode("utf-8")) for t in texts])), 1),
        "seconds": round(time.perf_counter() - t0, 2),
    }, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
