"""GENERATED benchmark data: WET files whose texts are real Common Crawl payloads (the 63 bundled records),
shuffled and re-cut into documents of typical WET size, with synthetic URLs and record ids. Labelled as generated
in every file name (`gen-*.warc.wet.gz`) and in the warcinfo record."""

from __future__ import annotations

import json
import random
from pathlib import Path

from etl.io.warc_writer import block_digest, conversion_headers, warcinfo_headers, write_wet

ROOT = Path(__file__).resolve().parents[1]
REAL_RECORDS = ROOT / "tests" / "data" / "oscar_2021" / "oscar_22.01_sample_63docs.jsonl"
CACHE = ROOT / ".cache" / "bench"


def real_lines() -> list[str]:
    lines = []
    for raw in REAL_RECORDS.read_text(encoding="utf-8").splitlines():
        lines.extend(l for l in json.loads(raw)["content"].split("\n") if l.strip())
    return lines


def generate(out_dir: Path, files: int, mb_per_file: float, seed: int = 7, mean_doc_bytes: int = 4000) -> list[Path]:
    """Write `files` WET files of about `mb_per_file` MB uncompressed each; reuse them when already there."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"gen-{seed}-{i:03d}-{int(mb_per_file)}mb-digest.warc.wet.gz" for i in range(files)]
    if all(p.exists() for p in paths):
        return paths
    lines = real_lines()
    rng = random.Random(seed)
    langs = ["eng", "spa", "deu", "fra", "rus", "zho"]
    doc_no = 0
    for p in paths:
        target = int(mb_per_file * 1e6)
        written = 0
        info = warcinfo_headers(p.name, "CC-MAIN-2099-01")

        def records():
            nonlocal written, doc_no
            yield info
            while written < target:
                size = int(rng.expovariate(1 / mean_doc_bytes)) + 200
                parts, n = [], 0
                while n < size:
                    line = rng.choice(lines)
                    parts.append(line)
                    n += len(line) + 1
                payload = ("\n".join(parts) + "\n").encode("utf-8")
                doc_no += 1
                headers = conversion_headers(
                    f"https://gen{doc_no % 997}.example.org/page/{doc_no}",
                    f"<urn:uuid:{seed:08x}-0000-4000-8000-{doc_no:012x}>", "2099-01-01T00:00:00Z",
                    rng.choice(langs), extra={"WARC-Block-Digest": block_digest(payload)})  # as Common Crawl writes
                written += len(payload) + 400
                yield headers, payload

        with open(p, "wb") as fh:
            write_wet(fh, records())
    return paths
