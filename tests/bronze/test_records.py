"""The per-record helpers of the bronze envelope against the standard library they stand in for."""

from __future__ import annotations

from urllib.parse import urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st

from etl.bronze.records import host_of
from tests.helpers.warc_fuzz import FIXTURES, load_base


def reference_host(url: str) -> str | None:
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


URL_PARTS = st.sampled_from(["http", "https", "HTTP", "ftp", "h", "", "1x"])
HOST_CHARS = st.text(alphabet="aZ09.-_[]:@ \t%é", max_size=12)


@settings(max_examples=3000, deadline=None)
@given(URL_PARTS, st.sampled_from(["://", ":/", ":", "//"]), HOST_CHARS,
       st.sampled_from(["", ":80", ":", ":x", "@h", "/p?q#f", "?a", "#", " /x"]))
def test_host_equals_urlsplit_hostname(scheme, sep, host, rest):
    url = scheme + sep + host + rest
    assert host_of(url) == reference_host(url)


def test_host_equals_urlsplit_on_real_urls():
    urls = []
    for rel in FIXTURES:
        for blob in load_base(rel).blobs:
            for line in blob.split(b"\r\n")[:12]:
                if line.startswith(b"WARC-Target-URI: "):
                    urls.append(line.split(b": ", 1)[1].decode())
    assert len(urls) > 100
    assert [host_of(u) for u in urls] == [reference_host(u) for u in urls]
