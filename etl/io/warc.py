"""A streaming, damage-tolerant WARC/WET reader.

It reads plain, single-stream gzip and member-per-record gzip files, keeps memory bounded by one record, and turns
every problem (corrupt or truncated gzip, malformed headers, a lying Content-Length, truncated or oversized records,
garbage between records, a block digest that does not match) into a `Damage` item so the caller can quarantine it,
then resynchronises on the next valid header block. Every byte is looked at a bounded number of times, so time is
linear in the input whatever the damage, and a decompression bomb or a slow source is cut off by limits.
Pure Python on purpose: it runs inside Spark's Python workers and in benchmarks alike.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from typing import BinaryIO, Iterator

try:  # zlib-ng: the zlib API, inflating about twice as fast; plain zlib where it is not installed
    from zlib_ng import zlib_ng as zlib
except ImportError:  # pragma: no cover - zlib-ng is a declared dependency
    import zlib

GZIP_MAGIC = b"\x1f\x8b"
GZIP_MEMBER_START = b"\x1f\x8b\x08"  # magic + deflate: where a new member can begin
GZIP_WBITS = 31  # zlib: expect a gzip header and trailer
READ_CHUNK = 1 << 20
FEED_BYTES = 64 * 1024  # input handed to zlib per call
MAX_OUTPUT_PER_CALL = 1 << 20  # zlib output per call is capped, so a bomb cannot inflate one call to gigabytes
SALVAGE_STEP = 256  # after a zlib error, re-feed the failing input in steps this small to keep what decoded
MAX_HEADER_BYTES = 64 * 1024  # a WARC header block is a few hundred bytes; more means we are not in a header
COMPACT_AT = 4 << 20  # drop consumed buffer bytes once this many have piled up
RESYNC_KEEP = 16  # bytes kept unscanned at a buffer's end: a version line may straddle two chunks
# Decompressed bytes before the ratio limit applies: small files of repetitive text may compress very well.
BOMB_MIN_BYTES = 8 << 20
# Bytes of a damaged piece kept as its quarantine row's snippet (ingest.snippet_chars' default).
SNIPPET_BYTES = 256
RECORD_START = re.compile(rb"WARC/1\.[01]\r?\n")
# A record boundary inside a buffer: the end of a block followed by a new version line.
BOUNDARY = re.compile(rb"\r?\n\r?\nWARC/1\.[01]\r?\n")
# The version line and every following well-formed header line ("Name: value" or a folded continuation).
HEADER_LINES = re.compile(rb"WARC/1\.[01]\r?\n(?:(?:[!-9;-~]+:[^\r\n]*|[ \t][^\r\n]*)\r?\n)*")
BLANK_LINE = re.compile(rb"\r?\n")
WHITESPACE = re.compile(rb"[\r\n \t]*")  # between records; NUL bytes are damage, not padding
CRAWL_ID = re.compile(r"CC-MAIN-\d{4}-\d{2}(?!\d)")
# WARC/1.0 and 1.1 record types; anything else is a damaged WARC-Type header.
WARC_TYPES = frozenset(
    {"warcinfo", "response", "resource", "request", "metadata", "revisit", "conversion", "continuation"})
SHA1_BASE32_LEN, SHA1_HEX_LEN, SHA1_BYTES = 32, 40, 20
# RFC 4648 base32 digits -> the digits int(..., 32) reads: the decode runs in C (base64.b32encode is Python).
BASE32_TO_INT_DIGITS = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789abcdefghijklmnopqrstuv")
REPEATABLE_HEADERS = frozenset({"warc-concurrent-to"})  # WARC 1.1 section 5: the only field that may repeat


@dataclass
class Record:
    """One WARC record that parsed cleanly; `payload` is exactly Content-Length bytes."""

    offset: int
    headers: dict[str, str]  # lower-cased names
    payload: bytes
    digest_ok: bool | None = None  # WARC-Block-Digest verified; None when the record has none (or an unknown algorithm)

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
    crc32: int = 0  # of the raw bytes read, so a later run can tell whether the file changed


@dataclass
class _Gap:
    """Marks a discontinuity in the decompressed stream (a damaged or truncated gzip member)."""

    reason: str
    detail: str
    compressed_offset: int


class CountingReader:
    """A raw stream whose reads add to ``stats``: bytes read and their crc32 (the file's checksum)."""

    def __init__(self, raw: BinaryIO, stats: StreamStats):
        self.raw, self.stats = raw, stats

    def read(self, n: int) -> bytes:
        data = self.raw.read(n)
        self.stats.bytes_read += len(data)
        self.stats.crc32 = zlib.crc32(data, self.stats.crc32)
        return data


def block_digest_ok(digest: str | None, payload: bytes) -> bool | None:
    """Check a WARC-Block-Digest ("sha1:" + base32 or hex); None when absent or another algorithm."""
    if not digest:
        return None
    algorithm, _, value = digest.strip().partition(":")
    if algorithm.lower() != "sha1":
        return None
    actual = hashlib.sha1(payload).digest()
    try:
        if len(value) == SHA1_BASE32_LEN:
            return int(value.upper().translate(BASE32_TO_INT_DIGITS), 32).to_bytes(SHA1_BYTES, "big") == actual
        if len(value) == SHA1_HEX_LEN:
            return bytes.fromhex(value) == actual
    except (ValueError, OverflowError):  # not base32 / hex at all: a damaged header
        return False
    return False


def _salvage(d, feed) -> bytes:
    """Output a zlib stream yields from `feed` before the byte that breaks it (re-fed in small steps)."""
    out = []
    for i in range(0, len(feed), SALVAGE_STEP):
        piece = feed[i : i + SALVAGE_STEP]
        snapshot = d.copy()
        try:
            out.append(d.decompress(piece))
        except zlib.error:
            for j in range(len(piece)):  # the failing step, byte by byte from before it
                try:
                    out.append(snapshot.decompress(piece[j : j + 1]))
                except zlib.error:
                    break
            break
        if d.eof:
            break
    return b"".join(out)


def decompressed_chunks(raw: BinaryIO, stats: StreamStats) -> Iterator[bytes | _Gap]:
    """Yield decompressed bytes, with a `_Gap` wherever a gzip member was corrupt or cut short.

    What decoded before a corrupt byte is kept; then we scan forward for the next member header, so with Common
    Crawl's one-member-per-record layout only the damaged record is lost.
    """
    reader = CountingReader(raw, stats)
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
        before = d.copy()
        try:
            out = d.decompress(feed, MAX_OUTPUT_PER_CALL)
        except zlib.error as exc:
            out = _salvage(before, feed)
            if out:
                stats.bytes_decompressed += len(out)
                yield out
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
                if rest.strip(b"\r\n \t"):
                    stats.damaged_members += 1
                    yield _Gap("corrupt_gzip", f"bytes at {member_start} are not a gzip member", member_start)
                rest, new_offset, done = _seek_member(reader, rest, member_start, 1)
                pending, ppos, offset = rest, 0, new_offset
                member_start = offset
                if done:
                    break
        else:
            ppos += len(feed) - len(d.unconsumed_tail)
    if fed_member and not d.eof:
        while True:  # output zlib still holds back because of the per-call cap
            try:
                out = d.decompress(b"", MAX_OUTPUT_PER_CALL)
            except zlib.error:
                break
            if not out:
                break
            stats.bytes_decompressed += len(out)
            yield out
        if not d.eof:
            yield _Gap("truncated_gzip", f"gzip member at byte {member_start} ends early (truncated file?)",
                       member_start)


def _seek_member(reader: CountingReader, pending: bytes, offset: int, start: int) -> tuple[bytes, int, bool]:
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
        if last in headers and last not in REPEATABLE_HEADERS:  # two header blocks run together
            raise ValueError(f"header {name!r} appears twice")
        headers[last] = value.strip()
    return headers


_NEED_MORE = object()  # a parse step that cannot decide before more bytes arrive


@dataclass
class _Skip:
    """Bytes being skipped after damage, reported as one Damage once a valid record header (or the end) is found."""

    offset: int
    reason: str
    detail: str
    snippet: bytes
    record_id: str | None = None


class _Parser:
    """Parser state over one buffer of decompressed bytes; `items` yields what can be decided now."""

    def __init__(self, max_record_bytes: int, snippet_bytes: int):
        self.max_record_bytes, self.snippet_bytes = max_record_bytes, snippet_bytes
        self.buf = bytearray()
        self.pos = 0  # parse position in buf
        self.base = 0  # decompressed offset of buf[0]
        self.skip: _Skip | None = None
        self.scan_from = 0  # where the search for the next header resumes while skipping
        self.gap_reported = False

    def feed(self, data: bytes) -> None:
        if self.pos >= COMPACT_AT:
            del self.buf[: self.pos]
            self.base += self.pos
            self.scan_from -= self.pos
            self.pos = 0
        self.buf += data

    def end_segment(self) -> None:
        self.base += len(self.buf)
        self.buf.clear()
        self.pos = self.scan_from = 0
        self.skip = None
        self.gap_reported = False

    def items(self, segment_end: bool, gap: _Gap | None) -> Iterator[Record | Damage]:
        """Yield every item decidable now; at the segment's end, consume everything."""
        while True:
            step = self._skip_step(segment_end, gap) if self.skip else self._record_step(segment_end)
            if step is _NEED_MORE:
                return
            if step is None:  # segment consumed
                if gap is not None and not self.gap_reported:  # the gzip damage cut no record: still say so
                    yield Damage(self.base + len(self.buf), gap.reason, gap.detail)
                return
            yield from step

    def _start_skip(self, at: int, reason: str, detail: str, record_id: str | None = None, scan_from: int = 0,
                    snippet_at: int | None = None):
        """Skip from `at` until a valid header; the snippet is taken at `snippet_at` (default `at`)."""
        snip = at if snippet_at is None else snippet_at
        self.skip = _Skip(self.base + at, reason, detail, bytes(self.buf[snip : snip + self.snippet_bytes]), record_id)
        self.scan_from = max(scan_from, at + 1)
        self.pos = at

    def _end_skip(self, end: int, at_segment_end: bool, gap: _Gap | None) -> Damage:
        s, self.skip = self.skip, None
        skipped = self.base + end - s.offset
        reason, detail = s.reason, f"{s.detail} ({skipped} bytes skipped)"
        if at_segment_end and gap is not None:
            reason = "truncated_record" if gap.reason == "truncated_gzip" else gap.reason
            detail = f"{detail}; {gap.detail}"
            self.gap_reported = True
        return Damage(s.offset, reason, detail, s.snippet, s.record_id)

    def _skip_step(self, segment_end: bool, gap: _Gap | None):
        """While skipping damage: find the next version line that begins a valid header block."""
        buf, n = self.buf, len(self.buf)
        while True:
            m = RECORD_START.search(buf, self.scan_from)
            if m is None:
                if segment_end:
                    self.pos = n
                    return [self._end_skip(n, True, gap)]
                self.scan_from = self.pos = max(self.scan_from, n - RESYNC_KEEP)
                return _NEED_MORE
            header = self._header(m.start(), segment_end)
            if header is _NEED_MORE:
                self.scan_from = self.pos = m.start()
                return _NEED_MORE
            if isinstance(header, str):  # not a real header: keep looking after it
                self.scan_from = m.start() + 1
                continue
            self.pos = m.start()
            return [self._end_skip(m.start(), False, gap)]

    def _header(self, at: int, segment_end: bool):
        """(headers, header_end, length) for a valid header block at `at`; a string saying why not; or _NEED_MORE."""
        buf, n = self.buf, len(self.buf)
        limit = min(n, at + MAX_HEADER_BYTES)
        m = HEADER_LINES.match(buf, at, limit)
        if m is None:  # the version line itself is incomplete
            return _NEED_MORE if not segment_end and n < at + MAX_HEADER_BYTES else "no version line"
        blank = BLANK_LINE.match(buf, m.end(), limit)
        if blank is None:
            line_complete = buf.find(b"\n", m.end(), limit) >= 0
            if line_complete or limit - at >= MAX_HEADER_BYTES:
                return "header line without 'Name: value'" if line_complete else "no end of header block"
            return _NEED_MORE if not segment_end else "data ends inside a header block"
        try:
            headers = parse_headers(bytes(buf[at : m.end()]))
        except ValueError as exc:
            return str(exc)
        if "content-length" not in headers:
            return "no Content-Length"
        if "warc-type" not in headers:
            return "no WARC-Type"
        try:
            length = int(headers["content-length"])
        except ValueError:
            return f"Content-Length is not a number: {headers['content-length'][:40]!r}"
        if length < 0:
            return "negative Content-Length"
        return headers, blank.end(), length

    def _record_step(self, segment_end: bool):
        buf = self.buf
        n = len(buf)
        pos = self.pos = WHITESPACE.match(buf, self.pos).end()  # blank lines between records
        if pos >= n:
            return None if segment_end else _NEED_MORE
        if not buf.startswith(b"WARC/1.", pos):
            if not segment_end and n - pos < len(b"WARC/1.") and b"WARC/1.".startswith(bytes(buf[pos:])):
                return _NEED_MORE
            self._start_skip(pos, "no_record_header", "bytes that are not a WARC record")
            return []
        header = self._header(pos, segment_end)
        if header is _NEED_MORE:
            return _NEED_MORE
        if isinstance(header, str):
            reason = "truncated_record" if header == "data ends inside a header block" else "malformed_header"
            self._start_skip(pos, reason, header)
            return []
        headers, header_end, length = header
        record_id = headers.get("warc-record-id")
        if length > self.max_record_bytes:
            # Skip by scanning for the next valid header, not by trusting the length: a lying Content-Length
            # must not swallow the records after it.
            self._start_skip(pos, "record_too_large",
                             f"Content-Length {length} exceeds max_record_bytes {self.max_record_bytes}",
                             record_id, scan_from=header_end, snippet_at=header_end)
            return []
        end = header_end + length
        if n < end + 4 and not segment_end:
            return _NEED_MORE
        if n < end:  # the data ends before the declared length
            boundary = BOUNDARY.search(buf, header_end)
            if boundary is not None:
                return self._mismatch(pos, header_end, length, record_id, boundary.start(),
                                      f"Content-Length {length} points past the end of the data")
            self._start_skip(pos, "truncated_record", f"Content-Length {length} but only {n - header_end} bytes follow",
                             record_id, scan_from=n, snippet_at=header_end)
            return []
        payload = bytes(buf[header_end:end])
        digest_ok = block_digest_ok(headers.get("warc-block-digest"), payload)
        tail = end
        while tail < n and tail < end + 4 and buf[tail] in b"\r\n":
            tail += 1
        framed = tail >= n or buf.startswith(b"WARC/", tail)
        if not framed or digest_ok is False:
            # A block that swallowed the start of the next record (Content-Length too large) has a boundary in it.
            inside = BOUNDARY.search(buf, header_end, min(n, end + len(b"\r\n\r\nWARC/1.0\r\n")))
            if inside is not None and inside.start() < end:
                return self._mismatch(pos, header_end, length, record_id, inside.start(),
                                      "the block holds a record boundary")
        if not framed and digest_ok is not True:
            # Either Content-Length is too small (the rest of the block and a blank line come before the next
            # record) or garbage follows a good record (a version line comes first, without the blank line).
            after = BOUNDARY.search(buf, end)
            start = RECORD_START.search(buf, end)
            if after is None and start is None and not segment_end and n - header_end <= self.max_record_bytes:
                return _NEED_MORE
            next_after_blank = buf.find(b"WARC/", after.start()) if after is not None else None
            if after is not None and (start is None or start.start() >= next_after_blank):
                return self._mismatch(pos, header_end, length, record_id, after.start(),
                                      "the block is not followed by a record boundary")
            if digest_ok is False:
                stop = start.start() if start is not None else n
                return self._mismatch(pos, header_end, length, record_id, stop,
                                      "the block is not followed by a record boundary")
            # No digest to judge by: keep the record; the bytes after it get their own quarantine row.
        self.pos = end
        return [self._record_or_damage(pos, headers, payload, digest_ok, record_id)]

    def _record_or_damage(self, pos, headers, payload, digest_ok, record_id):
        kind = headers["warc-type"]
        if kind not in WARC_TYPES:  # values are case-sensitive: "Conversion" is a damaged header
            return Damage(self.base + pos, "unknown_warc_type", f"WARC-Type {kind[:40]!r} is not a WARC record type",
                          payload[: self.snippet_bytes], record_id)
        return Record(self.base + pos, headers, payload, digest_ok)

    def _mismatch(self, pos, header_end, length, record_id, boundary: int, why: str):
        """Content-Length points into the middle of something: quarantine the record, resume at the real boundary."""
        actual = boundary - header_end
        self.pos = boundary
        return [Damage(self.base + pos, "content_length_mismatch",
                       f"Content-Length {length} but the block is {actual} bytes ({why})",
                       bytes(self.buf[header_end : header_end + self.snippet_bytes]), record_id)]


@dataclass
class WarcReader:
    """Iterate `Record`s and `Damage`s from one binary stream; see the module docstring.

    `max_decompression_ratio` and `max_seconds` stop reading a file (one `decompression_bomb` or `too_slow` item)
    instead of letting it hold up its Spark task; what was read before stays.
    """

    raw: BinaryIO
    max_record_bytes: int = 16 * 1024 * 1024
    snippet_bytes: int = SNIPPET_BYTES
    max_decompression_ratio: float = 100.0
    max_seconds: float | None = None
    stats: StreamStats = field(default_factory=StreamStats)

    def __iter__(self) -> Iterator[Record | Damage]:
        parser = _Parser(self.max_record_bytes, self.snippet_bytes)
        chunks = decompressed_chunks(self.raw, self.stats)
        deadline = time.monotonic() + self.max_seconds if self.max_seconds else None
        segment_end = file_end = False  # segment: bytes up to the end of file or a gzip gap
        gap: _Gap | None = None
        while True:
            yield from parser.items(segment_end, gap)
            if segment_end:
                parser.end_segment()
                if file_end:
                    return
                segment_end, gap = False, None
            limit = self._limit_hit(deadline)
            if limit is not None:
                yield Damage(parser.base + parser.pos, *limit)
                return
            item = next(chunks, None)
            if item is None:
                segment_end = file_end = True
            elif isinstance(item, _Gap):
                segment_end, gap = True, item
            else:
                parser.feed(item)

    def _limit_hit(self, deadline: float | None) -> tuple[str, str] | None:
        s = self.stats
        if s.bytes_decompressed > BOMB_MIN_BYTES and s.bytes_decompressed > self.max_decompression_ratio * max(
                1, s.bytes_read):
            return ("decompression_bomb", f"{s.bytes_read:,} bytes inflate to over {s.bytes_decompressed:,} "
                                          f"(ratio limit {self.max_decompression_ratio:g}); rest of file not read")
        if deadline is not None and time.monotonic() > deadline:
            return "too_slow", f"reading took over {self.max_seconds:g} s; rest of file not read"
        return None


def crawl_id_from(*candidates: str | None) -> str | None:
    """The first CC-MAIN-YYYY-WW found in warcinfo's isPartOf or a file path."""
    for text in candidates:
        if text:
            m = CRAWL_ID.search(text)
            if m:
                return m.group(0)
    return None
