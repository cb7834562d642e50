"""A streaming, damage-tolerant WARC/WET reader.

It reads plain, single-stream gzip and member-per-record gzip files, keeps memory bounded by one record, and turns
every problem (corrupt or truncated gzip, malformed headers, a lying Content-Length, truncated or oversized records,
garbage between records) into a `Damage` item so the caller can quarantine it, then resynchronises on the next
record. Pure Python on purpose: it runs inside Spark's Python workers and in benchmarks alike.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from typing import BinaryIO, Iterator

GZIP_MAGIC = b"\x1f\x8b"
GZIP_MEMBER_START = b"\x1f\x8b\x08"  # magic + deflate: where a new member can begin
GZIP_WBITS = 31  # zlib: expect a gzip header and trailer
READ_CHUNK = 1 << 20
FEED_BYTES = 64 * 1024  # input handed to zlib per call
MAX_HEADER_BYTES = 64 * 1024  # a WARC header block is a few hundred bytes; more means we are not in a header
COMPACT_AT = 4 << 20  # drop consumed buffer bytes once this many have piled up
RECORD_START = re.compile(rb"WARC/1\.[01]\r?\n")
# A record boundary inside a buffer: the end of a block followed by a new version line.
BOUNDARY = re.compile(rb"\r?\n\r?\nWARC/1\.[01]\r?\n")
HEADER_END = re.compile(rb"\r?\n\r?\n")
WHITESPACE = b"\r\n \t\x00"
CRAWL_ID = re.compile(r"CC-MAIN-\d{4}-\d{2}(?!\d)")


@dataclass
class Record:
    """One WARC record that parsed cleanly; `payload` is exactly Content-Length bytes."""

    offset: int
    headers: dict[str, str]  # lower-cased names
    payload: bytes

    @property
    def type(self) -> str:
        return self.headers.get("warc-type", "")


@dataclass
class Damage:
    """A piece of input that could not be read as a record, with where it was and why."""

    offset: int | None
    reason: str
    detail: str
    snippet: bytes = b""
    record_id: str | None = None


@dataclass
class StreamStats:
    """Byte counts kept while reading, for the ingest log."""

    bytes_read: int = 0
    bytes_decompressed: int = 0
    damaged_members: int = 0


@dataclass
class _Gap:
    """Marks a discontinuity in the decompressed stream (a damaged or truncated gzip member)."""

    reason: str
    detail: str
    compressed_offset: int


class _CountingReader:
    def __init__(self, raw: BinaryIO, stats: StreamStats):
        self.raw, self.stats = raw, stats

    def read(self, n: int) -> bytes:
        data = self.raw.read(n)
        self.stats.bytes_read += len(data)
        return data


def decompressed_chunks(raw: BinaryIO, stats: StreamStats) -> Iterator[bytes | _Gap]:
    """Yield decompressed bytes, with a `_Gap` wherever a gzip member was corrupt or cut short.

    After a corrupt member we scan forward for the next member header, so with Common Crawl's one-member-per-record
    layout only the damaged record is lost.
    """
    reader = _CountingReader(raw, stats)
    head = reader.read(READ_CHUNK)
    if not head.startswith(GZIP_MAGIC):
        while head:
            stats.bytes_decompressed += len(head)
            yield head
            head = reader.read(READ_CHUNK)
        return

    pending = head
    ppos = 0  # parse position in pending
    offset = 0  # compressed offset of pending[0]
    member_start = 0
    d = zlib.decompressobj(GZIP_WBITS)
    fed_member = False
    while True:
        if ppos >= len(pending):
            pending = reader.read(READ_CHUNK)
            offset += ppos
            ppos = 0
            if not pending:
                break
        # Feed small slices: at a member's end zlib copies the unread input into unused_data, so feeding the
        # whole 1 MiB chunk would copy it once per record (quadratic in records per chunk).
        feed = memoryview(pending)[ppos : ppos + FEED_BYTES]
        try:
            out = d.decompress(feed)
        except zlib.error as exc:
            stats.damaged_members += 1
            yield _Gap("corrupt_gzip", f"gzip member at byte {member_start}: {exc}", member_start)
            # Resync: search for the next member header after the bad member's start.
            rest = pending[ppos:]
            rest, new_offset, done = _seek_member(reader, rest, offset + ppos, max(1, member_start + 1 - offset - ppos))
            pending, ppos, offset = rest, 0, new_offset
            member_start = offset
            d = zlib.decompressobj(GZIP_WBITS)
            fed_member = False
            if done:
                break
            continue
        fed_member = True
        if out:
            stats.bytes_decompressed += len(out)
            yield out
        if d.eof:
            ppos += len(feed) - len(d.unused_data)
            member_start = offset + ppos
            d = zlib.decompressobj(GZIP_WBITS)
            fed_member = False
            nxt = pending[ppos : ppos + len(GZIP_MAGIC)]
            if nxt and not GZIP_MAGIC.startswith(nxt[: len(GZIP_MAGIC)]) and not nxt.startswith(GZIP_MAGIC):
                rest = pending[ppos:]
                if rest.strip(WHITESPACE):
                    stats.damaged_members += 1
                    yield _Gap("corrupt_gzip", f"bytes at {member_start} are not a gzip member", member_start)
                rest, new_offset, done = _seek_member(reader, rest, member_start, 1)
                pending, ppos, offset = rest, 0, new_offset
                member_start = offset
                if done:
                    break
        else:
            ppos += len(feed)
    if fed_member and not d.eof:
        yield _Gap("truncated_gzip", f"gzip member at byte {member_start} ends early (truncated file?)", member_start)


def _seek_member(reader: _CountingReader, pending: bytes, offset: int, start: int) -> tuple[bytes, int, bool]:
    """Advance to the next gzip member header at or after `start` within `pending`; read on as needed."""
    while True:
        idx = pending.find(GZIP_MEMBER_START, start)
        if idx >= 0:
            return pending[idx:], offset + idx, False
        keep = len(GZIP_MEMBER_START) - 1  # a header may straddle two chunks
        offset += max(0, len(pending) - keep)
        pending = pending[-keep:] if len(pending) >= keep else pending
        more = reader.read(READ_CHUNK)
        if not more:
            return b"", offset + len(pending), True
        pending += more
        start = 0


def parse_headers(block: bytes) -> dict[str, str]:
    """Header lines after the version line into a dict with lower-cased names; ValueError when malformed."""
    text = block.decode("utf-8", "replace")
    lines = text.replace("\r\n", "\n").split("\n")
    headers: dict[str, str] = {}
    last = None
    for line in lines[1:]:
        if not line:
            continue
        if line[0] in " \t" and last is not None:  # folded continuation line (RFC 822 style)
            headers[last] += " " + line.strip()
            continue
        name, sep, value = line.partition(":")
        name = name.strip()
        if not sep or not name or " " in name:
            raise ValueError(f"header line without 'Name: value': {line[:80]!r}")
        last = name.lower()
        headers[last] = value.strip()
    return headers


_SEGMENT_DONE = -1  # _step's new position meaning "nothing more in this segment"


@dataclass
class WarcReader:
    """Iterate `Record`s and `Damage`s from one binary stream; see the module docstring."""

    raw: BinaryIO
    max_record_bytes: int = 16 * 1024 * 1024
    snippet_bytes: int = 256
    stats: StreamStats = field(default_factory=StreamStats)

    def __iter__(self) -> Iterator[Record | Damage]:
        buf = bytearray()
        pos = 0  # parse position in buf
        base = 0  # decompressed offset of buf[0]
        skip_left = 0  # bytes of an oversized record still to discard as they stream past
        chunks = decompressed_chunks(self.raw, self.stats)
        segment_end = file_end = False  # segment: bytes up to the end of file or a gzip gap
        gap: _Gap | None = None
        while True:
            if skip_left:
                take = min(skip_left, len(buf) - pos)
                pos += take
                skip_left -= take
            step = None if skip_left and not segment_end else self._step(buf, pos, base, segment_end, gap)
            if step is None:  # wants more bytes
                item = next(chunks, None)
                if item is None:
                    segment_end = file_end = True
                elif isinstance(item, _Gap):
                    segment_end, gap = True, item
                else:
                    if pos >= COMPACT_AT:
                        del buf[:pos]
                        base += pos
                        pos = 0
                    buf += item
                continue
            new_pos, out, skip = step
            if out is not None:
                yield out
            if new_pos == _SEGMENT_DONE:
                if gap is not None and not (isinstance(out, Damage) and gap.detail in out.detail):
                    # The gzip damage cut no record in half, but it still lost bytes: say so.
                    yield Damage(base + len(buf), gap.reason, gap.detail)
                base += len(buf)
                buf.clear()
                pos, skip_left = 0, 0
                if file_end:
                    return
                segment_end, gap = False, None
                continue
            pos, skip_left = new_pos, skip

    def _step(self, buf: bytearray, pos: int, base: int, segment_end: bool, gap: _Gap | None):
        """Parse at `pos`: (new_pos, item or None, bytes to skip), or None when more input is needed.

        Never returns None at the end of a segment, so the loop always progresses.
        """
        n = len(buf)
        while pos < n and buf[pos] in WHITESPACE:  # blank lines between records
            pos += 1
        if pos >= n:
            return (_SEGMENT_DONE, None, 0) if segment_end else None
        if not buf.startswith(b"WARC/", pos):
            return self._resync(buf, pos, base, segment_end, gap)
        m = HEADER_END.search(buf, pos, min(n, pos + MAX_HEADER_BYTES))
        if m is None:
            if n - pos >= MAX_HEADER_BYTES:
                return self._skip_bad_header(buf, pos, base, "no end of header block")
            if segment_end:
                return self._rest_of_segment(buf, pos, base, gap, "truncated_record", "data ends inside a header block")
            return None
        header_end = m.end()
        try:
            headers = parse_headers(bytes(buf[pos : m.start()]))
            if "content-length" not in headers:
                raise ValueError("no Content-Length")
            if "warc-type" not in headers:
                raise ValueError("no WARC-Type")
            length = int(headers["content-length"])
            if length < 0:
                raise ValueError("negative Content-Length")
        except ValueError as exc:
            return self._skip_bad_header(buf, pos, base, str(exc))
        record_id = headers.get("warc-record-id")
        end = header_end + length
        if length > self.max_record_bytes:
            damage = Damage(
                base + pos, "record_too_large",
                f"Content-Length {length} exceeds max_record_bytes {self.max_record_bytes}",
                bytes(buf[header_end : header_end + self.snippet_bytes]), record_id,
            )
            if end <= n:
                return end, damage, 0
            if segment_end:
                return _SEGMENT_DONE, damage, 0
            return n, damage, end - n  # discard the rest as it arrives, never holding it
        if n < end + 4 and not segment_end:
            return None
        if n < end:
            return self._rest_of_segment(
                buf, pos, base, gap, "truncated_record",
                f"Content-Length {length} but only {n - header_end} bytes follow", record_id,
            )
        # The block must be followed by blank lines and then a new record or the end of the data.
        tail = end
        while tail < n and tail < end + 4 and buf[tail] in b"\r\n":
            tail += 1
        if tail >= n or buf.startswith(b"WARC/", tail):
            return end, Record(base + pos, headers, bytes(buf[header_end:end])), 0
        return self._length_mismatch(buf, pos, base, header_end, length, record_id, segment_end, gap)

    def _length_mismatch(self, buf, pos, base, header_end, length, record_id, segment_end, gap):
        """Content-Length points into the middle of something: find the real boundary, quarantine the record."""
        m = BOUNDARY.search(buf, header_end)
        if m is None:
            if not segment_end and len(buf) - header_end <= self.max_record_bytes:
                return None
            return self._rest_of_segment(
                buf, pos, base, gap, "content_length_mismatch",
                f"Content-Length {length} is not followed by a record boundary", record_id,
            )
        actual = m.start() - header_end
        damage = Damage(
            base + pos, "content_length_mismatch", f"Content-Length {length} but the block is {actual} bytes",
            bytes(buf[header_end : header_end + self.snippet_bytes]), record_id,
        )
        return m.start(), damage, 0

    def _skip_bad_header(self, buf, pos, base, detail):
        """Quarantine a header we cannot trust and continue at the next version line after it."""
        nxt = RECORD_START.search(buf, pos + 5)
        end = nxt.start() if nxt else len(buf)
        return end, Damage(base + pos, "malformed_header", detail, bytes(buf[pos : pos + self.snippet_bytes])), 0

    def _resync(self, buf, pos, base, segment_end, gap):
        """Bytes that are not a record: skip to the next version line that starts a line."""
        start = pos
        while True:
            m = RECORD_START.search(buf, start)
            if m is None:
                break
            if buf[m.start() - 1] == 0x0A:
                damage = Damage(
                    base + pos, "no_record_header", f"{m.start() - pos} bytes before the next WARC record",
                    bytes(buf[pos : pos + self.snippet_bytes]),
                )
                return m.start(), damage, 0
            start = m.start() + 1
        if segment_end:
            return self._rest_of_segment(buf, pos, base, gap, "no_record_header", "bytes that are not a WARC record")
        if len(buf) - pos > self.max_record_bytes:  # bounded: report a long run of garbage and move on
            keep = len(buf) - 16
            damage = Damage(base + pos, "no_record_header", f"{keep - pos} bytes of non-WARC data",
                            bytes(buf[pos : pos + self.snippet_bytes]))
            return keep, damage, 0
        return None

    def _rest_of_segment(self, buf, pos, base, gap, reason, detail, record_id=None):
        """The data ends inside something: quarantine the remainder, naming the gzip damage when there was some."""
        if gap is not None:
            reason = "truncated_record" if gap.reason == "truncated_gzip" else gap.reason
            detail = f"{detail}; {gap.detail}"
        damage = Damage(base + pos, reason, detail, bytes(buf[pos : pos + self.snippet_bytes]), record_id)
        return _SEGMENT_DONE, damage, 0


def crawl_id_from(*candidates: str | None) -> str | None:
    """The first CC-MAIN-YYYY-WW found in warcinfo's isPartOf or a file path."""
    for text in candidates:
        if text:
            m = CRAWL_ID.search(text)
            if m:
                return m.group(0)
    return None
