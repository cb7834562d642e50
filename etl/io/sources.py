"""Where WET files come from: expand paths, globs, directories and wet.paths manifests; open local, HTTP(S) and S3.

Remote reads retry with exponential backoff on 5xx, 429/503 SlowDown and dropped connections, and resume a broken
download with a Range request from the byte where it stopped, so a flaky connection costs time, not data.
"""

from __future__ import annotations

import glob
import gzip
import io
import os
import random
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path
from typing import BinaryIO, Callable, Iterable

REMOTE_SCHEMES = ("http://", "https://", "s3://", "s3a://")
WET_SUFFIXES = (".wet", ".wet.gz", ".warc", ".warc.gz")
MANIFEST_SUFFIXES = (".paths", ".paths.gz")
RETRYABLE_HTTP = {429, 500, 502, 503, 504}
USER_AGENT = "cc-wet-etl/0.1 (+https://commoncrawl.org/terms-of-use)"


class SourceUnavailable(IOError):
    """A source that cannot be read now (missing file, 404, retries exhausted); the file is quarantined."""


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 8
    backoff_base_s: float = 1.0
    backoff_max_s: float = 60.0
    timeout_s: float = 60.0

    @classmethod
    def from_config(cls, cfg) -> "RetryPolicy":
        """From anything with IngestConfig's http_* fields (duck-typed: this layer does not import the config)."""
        return cls(cfg.http_max_retries, cfg.http_backoff_base_s, cfg.http_backoff_max_s, cfg.http_timeout_s)

    def delay(self, attempt: int) -> float:
        """Full-jitter exponential backoff (AWS's recommendation for many clients sharing one rate limit)."""
        return random.uniform(0, min(self.backoff_max_s, self.backoff_base_s * (2**attempt)))


def is_remote(path: str) -> bool:
    return path.startswith(REMOTE_SCHEMES)


def is_manifest(path: str) -> bool:
    return path.endswith(MANIFEST_SUFFIXES)


def s3_to_https(uri: str, endpoint: str) -> str | None:
    """s3://commoncrawl/key is also served over HTTPS; other buckets need boto3."""
    bucket, _, key = uri.split("://", 1)[1].partition("/")
    if bucket == "commoncrawl":
        return endpoint.rstrip("/") + "/" + key
    return None


def _read_manifest_lines(path: str, policy: RetryPolicy) -> list[str]:
    with open_source(path, policy) as raw:
        data = raw.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return [line.strip() for line in data.decode("utf-8").splitlines() if line.strip() and not line.startswith("#")]


URI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")  # two letters at least: C:\\ is a drive, not a scheme


def has_scheme(item: str) -> bool:
    """hdfs://, abfss://, dbfs:/, s3a://, ... (file: URIs count as local paths)."""
    return bool(URI_SCHEME.match(item)) and not item.startswith("file:")


def local_path(item: str) -> str:
    """file:///abs and file:/abs name local paths; everything else is returned unchanged."""
    if item.startswith("file://"):
        return item[len("file://") :]
    if item.startswith("file:/"):
        return item[len("file:") :]
    return item


def expand_inputs(inputs: Iterable[str], manifest_prefix: str, policy: RetryPolicy | None = None,
                  unmatched: list[str] | None = None) -> list[str]:
    """Turn user inputs into a sorted, de-duplicated list of file locations.

    A local path, glob or directory that matches no WET file is kept as is (a run allowed to miss inputs logs it
    as unreachable and retries it later) and appended to `unmatched`, so callers can refuse it up front.
    """
    policy = policy or RetryPolicy()
    out: list[str] = []
    for item in inputs:
        item = local_path(item.strip())
        if not item:
            continue
        if is_manifest(item):
            for rel in _read_manifest_lines(item, policy):
                out.append(rel if is_remote(rel) or rel.startswith("/") else manifest_prefix.rstrip("/") + "/" + rel)
        elif is_remote(item) or has_scheme(item):  # existence is the reader's to find out
            out.append(item)
        elif os.path.isdir(item):
            found = [str(p.resolve()) for p in Path(item).rglob("*") if p.is_file() and p.name.endswith(WET_SUFFIXES)]
            out.extend(found)
            if not found and unmatched is not None:
                unmatched.append(f"{item} (a directory with no {', '.join(WET_SUFFIXES)} files)")
        elif any(ch in item for ch in "*?["):
            found = [str(Path(p).resolve()) for p in glob.glob(item, recursive=True) if os.path.isfile(p)]
            out.extend(found)
            if not found and unmatched is not None:
                unmatched.append(f"{item} (the pattern matches no file)")
        else:
            out.append(str(Path(item).resolve()))
            if not os.path.exists(item) and unmatched is not None:
                unmatched.append(f"{item} (no such file)")
    return sorted(set(out))


def source_size(stream: BinaryIO) -> int | None:
    """Size of an opened source in bytes when the source says so (local file size, HTTP Content-Length)."""
    raw = getattr(stream, "raw", stream)
    if isinstance(raw, ResumingHTTPReader):
        return raw.length
    try:
        return os.fstat(stream.fileno()).st_size
    except (AttributeError, OSError, io.UnsupportedOperation):
        return None


def current_size(path: str, policy: RetryPolicy, s3_http_endpoint: str = "https://data.commoncrawl.org/") -> int | None:
    """Size of a source now, without reading it (stat, or an HTTP HEAD); None when it cannot be told."""
    if path.startswith(("s3://", "s3a://")):
        path = s3_to_https(path, s3_http_endpoint) or ""
    if path.startswith(("http://", "https://")):
        req = urllib.request.Request(path, method="HEAD", headers={"User-Agent": USER_AGENT})
        try:
            with urllib.request.urlopen(req, timeout=policy.timeout_s) as resp:
                length = resp.headers.get("Content-Length")
                return int(length) if length else None
        except (urllib.error.URLError, HTTPException, OSError, ValueError):
            return None
    if is_remote(path) or not path:
        return None
    try:
        return os.path.getsize(local_path(path))
    except OSError:
        return None


class ResumingHTTPReader(io.RawIOBase):
    """A readable HTTP body that survives 5xx answers and dropped connections by retrying with Range."""

    def __init__(self, url: str, policy: RetryPolicy, sleep: Callable[[float], None] = time.sleep):
        self.url, self.policy, self.sleep = url, policy, sleep
        self.pos = 0
        self.length: int | None = None
        self.retries_used = 0
        self._resp = None
        self._open()

    def _open(self) -> None:
        attempt = 0
        while True:
            headers = {"User-Agent": USER_AGENT}
            if self.pos:
                headers["Range"] = f"bytes={self.pos}-"
            req = urllib.request.Request(self.url, headers=headers)
            try:
                resp = urllib.request.urlopen(req, timeout=self.policy.timeout_s)
                if self.pos and resp.status != 206:
                    # No range support: read and throw away what we already have.
                    self._discard(resp, self.pos)
                if self.length is None:
                    total = resp.headers.get("Content-Length")
                    self.length = int(total) if total and resp.status == 200 else None
                self._resp = resp
                return
            except urllib.error.HTTPError as exc:
                if exc.code not in RETRYABLE_HTTP:
                    raise SourceUnavailable(f"HTTP {exc.code} for {self.url}") from None
                error = f"HTTP {exc.code}"
            except (urllib.error.URLError, HTTPException, ConnectionError, TimeoutError, OSError) as exc:
                error = f"{type(exc).__name__}: {exc}"
            if attempt >= self.policy.max_retries:
                raise SourceUnavailable(f"{self.url}: giving up after {attempt} retries ({error})")
            self.sleep(self.policy.delay(attempt))
            attempt += 1
            self.retries_used += 1

    @staticmethod
    def _discard(resp, n: int) -> None:
        while n > 0:
            chunk = resp.read(min(n, 1 << 20))
            if not chunk:
                raise ConnectionError("body shorter than the bytes already read")
            n -= len(chunk)

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        attempts = 0
        while True:
            try:
                n = self._resp.readinto(b)
                if n == 0 and self.length is not None and self.pos < self.length:
                    raise ConnectionError(f"connection closed at byte {self.pos} of {self.length}")
                self.pos += n
                return n
            except (HTTPException, ConnectionError, TimeoutError, OSError) as exc:
                if attempts >= self.policy.max_retries:
                    raise SourceUnavailable(f"{self.url}: connection kept dropping ({exc})") from None
                attempts += 1
                self.retries_used += 1
                self._resp.close()
                self.sleep(self.policy.delay(attempts))
                self._open()

    def close(self) -> None:
        if self._resp is not None:
            self._resp.close()
        super().close()


def _open_s3(uri: str):  # pragma: no cover - needs AWS credentials and network
    try:
        import boto3
    except ImportError:
        raise SourceUnavailable(
            f"{uri}: reading S3 buckets other than commoncrawl needs boto3 (pip install boto3)"
        ) from None
    bucket, _, key = uri.split("://", 1)[1].partition("/")
    return boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"]


def open_source(path: str, policy: RetryPolicy | None = None, s3_http_endpoint: str = "https://data.commoncrawl.org/") -> BinaryIO:
    """A binary stream for a local path, http(s) URL or s3 URI; SourceUnavailable when it cannot be opened."""
    policy = policy or RetryPolicy()
    if path.startswith(("s3://", "s3a://")):
        https = s3_to_https(path, s3_http_endpoint)
        return io.BufferedReader(ResumingHTTPReader(https, policy), 1 << 20) if https else _open_s3(path)
    if path.startswith(("http://", "https://")):
        return io.BufferedReader(ResumingHTTPReader(path, policy), 1 << 20)
    local = local_path(path)
    try:
        return open(local, "rb", buffering=1 << 20)
    except FileNotFoundError:
        raise SourceUnavailable(f"file not found: {local}") from None
    except (IsADirectoryError, PermissionError) as exc:
        raise SourceUnavailable(f"cannot read {local}: {exc.strerror}") from None
