"""Seeded mutations of real WET files, with an oracle for the records each mutant leaves intact.

fastwarc splits each real file into its records (the oracle for what a record is); a mutation is applied to one
record, between records, or to the stored bytes, and the records it cannot have touched are "intact". Intact is
decided from positions alone, independently of our reader:
- plain files and one gzip member per record: a record is intact when the mutation misses its bytes (its member);
- single-stream gzip: when it lies wholly inside the prefix that zlib, fed one byte at a time, still decodes to
  the original bytes.
Run `python -m tests.helpers.warc_fuzz N` for the figures the README quotes.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import random
import re
import sys
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fastwarc.warc import ArchiveIterator

ROOT = Path(__file__).resolve().parents[2]
# Eight real WET files (see the PROVENANCE.md next to each): plain, single- and multi-member gzip, 1 to 63 records.
FIXTURES = (
    "tests/data/cc_2014/CC-MAIN-20140820021334-00006-ip-10-180-136-8.ec2.internal.warc.wet",
    "tests/data/cc_wet_2016_fragments/filter_test_1.wet.gz",
    "tests/data/cc_wet_2016_fragments/fragment3.wet.gz",
    "tests/data/cc_wet_2016_fragments/corrupt_warcinfo_1.wet.gz",
    "tests/data/cc_wet_2016_fragments/corrupt_starts_with_conversion.wet.gz",
    "tests/data/cc_wet_2016_fragments/corrupt_warcconversion_1.wet.gz",
    "tests/data/cc_whirlwind/whirlwind.warc.wet.gz",
    "data/sample/CC-MAIN-2021-39-oscar63.warc.wet.gz",
)
ENCODINGS = ("plain", "members", "stream")
RECORD_OPS = ("cl_up", "cl_down", "cl_past_end", "cl_huge", "crlf_delete", "type_damage", "payload_flip",
              "invalid_utf8", "header_cut", "duplicate")
INSERT_OPS = ("garbage", "version_lines", "nul_block", "blank_lines")
FILE_OPS = ("truncate", "bitflip", "garbage_tail", "delete_range", "empty", "random_file", "nul_file")
OPS = RECORD_OPS + INSERT_OPS + FILE_OPS
# Ops that put bytes into the file which are no record: each must leave a quarantine row. (Other ops must leave
# one whenever a record goes missing; a damaged header the reader cannot tell, such as a flipped URL, may pass.)
INJECTING = ("garbage", "version_lines", "nul_block", "garbage_tail", "empty", "random_file", "nul_file")
CONTENT_LENGTH = re.compile(rb"Content-Length: (\d+)")


@dataclass(frozen=True)
class OriginalRecord:
    record_id: str | None
    type: str
    payload: bytes


@dataclass(frozen=True)
class Base:
    name: str
    blobs: tuple[bytes, ...]  # each record's bytes in the decompressed stream, up to the next record
    records: tuple[OriginalRecord, ...]

    @property
    def conversions(self) -> list[int]:
        return [i for i, r in enumerate(self.records) if r.type == "conversion"]


@dataclass
class Mutant:
    name: str  # "<seed>:<file>:<encoding>:<op>"
    data: bytes
    intact: set[int]  # indices into Base.records
    expect_damage: bool  # the op put bytes into the file that are no record


def _sha1_b32(payload: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(payload).digest()).decode()


@lru_cache(maxsize=None)
def load_base(rel: str) -> Base:
    """Split a real file into records with fastwarc; every conversion record must verify against its digest."""
    raw = (ROOT / rel).read_bytes()
    plain = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    offsets, records = [], []
    for rec in ArchiveIterator(io.BytesIO(plain), parse_http=False):
        payload = rec.reader.read()
        kind = rec.headers.get("WARC-Type")
        if kind == "conversion" and not rec.headers.get("WARC-Target-URI"):
            kind = "conversion without a URI"  # one fixture has such a record: never a document, by contract
        if kind == "conversion":
            assert rec.headers.get("WARC-Block-Digest") == _sha1_b32(payload), f"{rel}: fixture record damaged"
        offsets.append(rec.stream_pos)
        records.append(OriginalRecord(rec.record_id, kind, payload))
    assert offsets and offsets[0] == 0, rel
    ends = offsets[1:] + [len(plain)]
    return Base(Path(rel).name, tuple(plain[a:b] for a, b in zip(offsets, ends)), tuple(records))


def _encode(blobs: list[bytes], encoding: str) -> tuple[bytes, list[tuple[int, int]]]:
    """File bytes and each blob's (start, end) in them (in the decompressed stream for 'stream')."""
    parts = [gzip.compress(b, 6, mtime=0) for b in blobs] if encoding == "members" else list(blobs)
    spans, at = [], 0
    for p in parts:
        spans.append((at, at + len(p)))
        at += len(p)
    data = b"".join(parts)
    return (gzip.compress(data, 6, mtime=0) if encoding == "stream" else data), spans


def decodable_prefix(data: bytes, original_plain: bytes) -> int:
    """How many leading bytes of `original_plain` zlib recovers from a damaged single-stream gzip `data`."""
    d = zlib.decompressobj(31)
    out = bytearray()
    for i in range(len(data)):
        try:
            out += d.decompress(data[i : i + 1])
        except zlib.error:
            break
        if d.eof:
            break
    n = min(len(out), len(original_plain))
    step = 4096
    k = 0
    while k < n and out[k : k + step] == original_plain[k : min(n, k + step)]:
        k += step
    while k < n and out[k] == original_plain[k]:
        k += 1
    return min(k, n)


def _record_op(rng: random.Random, blob: bytes, op: str) -> list[bytes]:
    """One record's bytes after `op` (a list: `duplicate` gives two)."""
    head_end = blob.find(b"\r\n\r\n")
    m = CONTENT_LENGTH.search(blob)
    length = int(m.group(1)) if m else 0
    payload_start = head_end + 4

    def set_length(value: int) -> bytes:
        return blob[: m.start(1)] + str(value).encode() + blob[m.end(1) :]

    if op == "cl_up":
        return [set_length(length + rng.randint(1, 300))]
    if op == "cl_down":
        return [set_length(max(0, length - rng.randint(1, 300)))]
    if op == "cl_past_end":
        return [set_length(length + 5_000_000)]
    if op == "cl_huge":
        return [set_length(10**12)]
    if op == "crlf_delete":
        spots = [k.start() for k in re.finditer(rb"\r\n", blob)]
        k = rng.choice(spots)
        return [blob[:k] + blob[k + 2 :]]
    if op == "type_damage":
        k = blob.find(b"WARC-Type: ") + len(b"WARC-Type: ") + rng.randint(0, 5)
        return [blob[:k] + bytes([blob[k] ^ (1 << rng.randint(0, 6))]) + blob[k + 1 :]]
    if op == "payload_flip" and length:
        k = payload_start + rng.randrange(length)
        return [blob[:k] + bytes([blob[k] ^ (1 << rng.randint(0, 7))]) + blob[k + 1 :]]
    if op == "invalid_utf8" and length:
        k = payload_start + rng.randrange(length)
        return [blob[:k] + (b"\xfe" if blob[k] == 0xFF else b"\xff") + blob[k + 1 :]]
    if op == "header_cut":
        return [blob[: rng.randint(1, head_end)]]
    if op == "duplicate":
        return [blob, blob]
    return [blob]  # payload ops on an empty payload: nothing to change


def _insert(rng: random.Random, op: str) -> bytes:
    if op == "garbage":
        return rng.randbytes(rng.randint(1, 4000))
    if op == "version_lines":  # a few MB of version lines with no header block: must stay linear
        return b"WARC/1.0\r\n" * rng.randint(1000, 400_000)
    if op == "nul_block":
        return b"\0" * rng.randint(1, 2_000_000)
    return b"\r\n" * rng.randint(1, 2_000_000)  # blank_lines


def make_mutant(seed: int) -> tuple[Base, Mutant]:
    """Mutant number `seed`: file, encoding, op and position all come from the seed."""
    rng = random.Random(seed)
    base = load_base(FIXTURES[seed % len(FIXTURES)])
    encoding = ENCODINGS[(seed // len(FIXTURES)) % len(ENCODINGS)]
    op = rng.choice(OPS)
    name = f"{seed}:{base.name}:{encoding}:{op}"
    blobs = list(base.blobs)
    owners: list[int | None] = list(range(len(blobs)))  # original record each blob still is, None when damaged
    expect = op in INJECTING
    if op in RECORD_OPS:
        i = rng.choice(base.conversions)
        new = _record_op(rng, blobs[i], op)
        blobs[i : i + 1] = new
        owners[i : i + 1] = [i if b == base.blobs[i] else None for b in new]
    elif op in INSERT_OPS:
        j = rng.randint(0, len(blobs))
        blobs.insert(j, _insert(rng, op))
        owners.insert(j, None)
    data, spans = _encode(blobs, encoding)
    intact = {o for o in owners if o is not None}
    if op in RECORD_OPS + INSERT_OPS:
        return base, Mutant(name, data, intact, expect)

    plain = b"".join(blobs)
    if op == "empty":
        return base, Mutant(name, b"", set(), True)
    if op == "random_file":
        return base, Mutant(name, rng.randbytes(rng.randint(1, 100_000)), set(), True)
    if op == "nul_file":  # gzip: 60 MB of NULs in ~60 kB, a decompression bomb
        nul = b"\0" * (60_000_000 if encoding != "plain" else 3_000_000)
        return base, Mutant(name, gzip.compress(nul, 9) if encoding != "plain" else nul, set(), True)
    if op == "garbage_tail":
        return base, Mutant(name, data + rng.randbytes(rng.randint(1, 3000)), intact, True)
    # Truncation, bit flips and deleted ranges: a reader must notice them when records go missing.
    a = rng.randrange(len(data))
    if op == "truncate":
        mutated, hit = data[:a], (a, len(data) + 1)
    elif op == "bitflip":
        mutated, hit = data[:a] + bytes([data[a] ^ (1 << rng.randint(0, 7))]) + data[a + 1 :], (a, a + 1)
    else:  # delete_range
        b = min(len(data), a + rng.randint(1, 500))
        mutated, hit = data[:a] + data[b:], (a, b)
    if encoding == "stream":
        good = decodable_prefix(mutated, plain)
        plain_spans = _encode(blobs, "plain")[1]
        intact = {o for o, (s, e) in zip(owners, plain_spans) if o is not None and e <= good}
    else:
        intact = {o for o, (s, e) in zip(owners, spans) if o is not None and (e <= hit[0] or s >= hit[1])}
    return base, Mutant(name, mutated, intact, False)


@dataclass
class Outcome:
    """What the reader made of one mutant, judged against the oracle."""

    lost: list[str]  # intact conversion records not loaded byte-equal
    spurious: int  # documents whose text is no original record's text
    silent: bool  # something was missing or injected, yet no quarantine row and status ok
    quarantined: int
    status: str
    intact_conversions: int


def judge(base: Base, mutant: Mutant, rows: list[dict]) -> Outcome:
    """Compare the envelope rows of one mutant (etl.bronze.reading.file_batches) with the oracle."""
    docs = [r for r in rows if r["kind"] == "document"]
    quarantine = [r for r in rows if r["kind"] == "quarantine"]
    status = next(r["status"] for r in rows if r["kind"] == "file")
    texts = {base.records[i].payload.decode("utf-8", "replace") for i in base.conversions}
    loaded = {(d["warc_record_id"], d["text"]) for d in docs}
    loaded_texts = {d["text"] for d in docs}
    intact = [i for i in base.conversions if i in mutant.intact]
    lost = [base.records[i].record_id for i in intact
            if (base.records[i].record_id, base.records[i].payload.decode("utf-8", "replace")) not in loaded]
    missing = any(base.records[i].payload.decode("utf-8", "replace") not in loaded_texts for i in base.conversions)
    silent = (mutant.expect_damage or missing) and (not quarantine or status == "ok")
    spurious = sum(1 for d in docs if d["text"] not in texts)
    return Outcome(lost, spurious, silent, len(quarantine), status, len(intact))


def read_mutant(mutant: Mutant, workdir: Path) -> list[dict]:
    """Write the mutant to a file and read it the way bronze does."""
    from etl.bronze.reading import file_batches
    from etl.config import IngestConfig

    path = workdir / f"mutant-{mutant.name.split(':')[0]}.wet"
    path.write_bytes(mutant.data)
    rows: list[dict] = []
    for batch in file_batches(str(path), IngestConfig()):
        rows.extend(batch.to_pylist())
    path.unlink()
    return rows


def main(argv: list[str]) -> int:
    """Run mutants 0..N-1 and print the figures: mutants, intact records, losses, silent damage, slowest."""
    import tempfile
    import time

    n = int(argv[0]) if argv else 300
    totals = {"mutants": 0, "intact": 0, "lost": 0, "spurious": 0, "silent": 0}
    slowest = (0.0, "")
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(n):
            base, mutant = make_mutant(seed)
            t0 = time.perf_counter()
            out = judge(base, mutant, read_mutant(mutant, Path(tmp)))
            took = time.perf_counter() - t0
            slowest = max(slowest, (took, mutant.name))
            totals["mutants"] += 1
            totals["intact"] += out.intact_conversions
            totals["lost"] += len(out.lost)
            totals["spurious"] += out.spurious
            totals["silent"] += out.silent
            if out.lost or out.spurious or out.silent:
                print(f"FAIL {mutant.name}: lost={len(out.lost)} spurious={out.spurious} silent={out.silent}")
    print(" ".join(f"{k}={v}" for k, v in totals.items()) + f" slowest={slowest[0]:.2f}s ({slowest[1]})")
    return 1 if totals["lost"] or totals["spurious"] or totals["silent"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
