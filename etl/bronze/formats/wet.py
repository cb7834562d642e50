"""WET: Common Crawl's extracted text, one `conversion` record per page (the format this package began with).

The reading itself stays in etl.bronze.records (`wet_file_batches`), the hot path tuned with etl.io.wet.
"""

from __future__ import annotations

import re
from typing import Iterator

import pyarrow as pa

from etl.bronze.records import OpenedFile, wet_file_batches
from etl.config import IngestConfig

# The WARC-Type of the first record after warcinfo: "conversion" in a WET file, request/response/... in a WARC.
WARC_TYPE = re.compile(rb"\r?\nWARC-Type:[ \t]*([A-Za-z]+)", re.IGNORECASE)
INFO_TYPES = frozenset({"warcinfo"})
WET_TYPES = frozenset({"conversion"})
WARC_TYPES = frozenset({"response", "request", "metadata", "resource", "revisit", "continuation"})


def first_record_type(head: bytes) -> str | None:
    """The WARC-Type of the first record in ``head`` that is not warcinfo (lower-cased); None when none shows."""
    if not head.lstrip()[:8].startswith(b"WARC/1."):
        return None
    for m in WARC_TYPE.finditer(head):
        kind = m.group(1).decode("ascii").lower()
        if kind not in INFO_TYPES:
            return kind
    return None


class WetFormat:
    name = "wet"
    suffixes = (".wet", ".wet.gz")

    def sniff(self, head: bytes) -> bool | None:
        kind = first_record_type(head)
        if kind in WET_TYPES:
            return True
        return False if kind in WARC_TYPES else None  # damaged, or only warcinfo so far: a .wet name decides

    def records(self, src: OpenedFile, cfg: IngestConfig) -> Iterator[pa.RecordBatch]:
        return wet_file_batches(src, cfg)
