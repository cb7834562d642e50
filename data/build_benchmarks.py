"""Rebuild etl/resources/benchmarks/ (the default decontamination set) from ../shared/data (run once by a
maintainer; the outputs are committed).

Only the text fields the n-grams are built from are kept, gzipped: GSM8K test {question, answer}, HumanEval
{task_id, prompt, canonical_solution}. GSM8K's answers lose their calculator annotations (``<<48/2=24>>``), which
pages quoting a solution do not carry. See etl/resources/benchmarks/PROVENANCE.md.
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from etl.catalog import BUNDLED_BENCHMARKS  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "benchmarks_decontamination"
OUT = Path(__file__).resolve().parents[1] / "etl" / "resources" / "benchmarks"
CALCULATOR_RE = re.compile(r"<<[^<>]*>>")
GZIP_LEVEL = 9


def _write(name: str, rows: list[dict]) -> None:
    path = OUT / BUNDLED_BENCHMARKS[name][0]
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")
    path.write_bytes(gzip.compress(data, GZIP_LEVEL, mtime=0))
    print(f"wrote {len(rows)} rows, {path.stat().st_size:,} bytes to {path}")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    gsm8k = [json.loads(line) for line in (SHARED / "gsm8k" / "test.jsonl").read_text(encoding="utf-8").splitlines()]
    _write("gsm8k", [{"question": r["question"], "answer": CALCULATOR_RE.sub("", r["answer"])} for r in gsm8k])
    with gzip.open(SHARED / "humaneval" / "HumanEval.jsonl.gz", "rt", encoding="utf-8") as fh:
        humaneval = [json.loads(line) for line in fh if line.strip()]
    _write("humaneval", [{k: r[k] for k in ("task_id", "prompt", "canonical_solution")} for r in humaneval])
    shutil.copy(SHARED / "gsm8k" / "LICENSE", OUT / "LICENSE-gsm8k.txt")
    shutil.copy(SHARED / "humaneval" / "LICENSE", OUT / "LICENSE-humaneval.txt")


if __name__ == "__main__":
    main()
