"""Input formats (etl.bronze.formats) without Spark: the choice of a file's format, WARC -> text against fastwarc
and the WET text of the same pages, JSONL/Parquet datasets, refusals, the format settings."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastwarc.warc import ArchiveIterator, WarcRecordType
from resiliparse.extract.html2text import extract_plain_text
from resiliparse.parse.encoding import bytes_to_str, detect_encoding

from etl.bronze import formats
from etl.bronze.formats.warc_html import RESILIPARSE_OPTIONS
from etl.bronze.reading import file_batches
from etl.bronze.records import KIND_DOCUMENT, KIND_FILE, KIND_QUARANTINE, STATUS_OK, STATUS_REFUSED, doc_id_for
from etl.bronze.ingest import run_ingest
from etl.config import ConfigError, IngestConfig, load_config
from etl.preflight import PreflightError

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
WHIRLWIND_WARC = DATA / "cc_whirlwind" / "whirlwind.warc.gz"
WHIRLWIND_WET = DATA / "cc_whirlwind" / "whirlwind.warc.wet.gz"
CC2014_WARC = DATA / "cc_2014" / "CC-MAIN-20140820021334-00006-ip-10-180-136-8.ec2.internal.warc"
CC2014_WET = CC2014_WARC.with_name(CC2014_WARC.name + ".wet")
CC2020_WARC = DATA / "cc_warc_2020" / "warcfile.warc.gz"
OSCAR = DATA / "oscar_2021" / "oscar_22.01_sample_63docs.jsonl"
WARCS = (WHIRLWIND_WARC, CC2014_WARC, CC2020_WARC)
PAIRS = ((WHIRLWIND_WARC, WHIRLWIND_WET), (CC2014_WARC, CC2014_WET))  # a WARC and the WET made from it


def read(path, cfg: IngestConfig | None = None, registry=None) -> dict[str, list[dict]]:
    """Rows of one file by kind."""
    out: dict[str, list[dict]] = {KIND_DOCUMENT: [], KIND_QUARANTINE: [], KIND_FILE: []}
    for batch in file_batches(str(path), cfg or IngestConfig(), registry=registry):
        for row in batch.to_pylist():
            out[row["kind"]].append(row)
    assert len(out[KIND_FILE]) == 1
    return out


def head(path: Path) -> bytes:
    return formats.head_of(path.read_bytes()[: formats.HEAD_BYTES])


def tokens(text: str) -> set[str]:
    return set(text.lower().split())


def fastwarc_pages(path: Path) -> dict[str, str]:
    """The oracle: url -> main-content text of every 200 HTML response, by fastwarc's HTTP parser and resiliparse
    called directly (the charset from the header, else detected), with the extraction options bronze uses."""
    pages = {}
    with open(path, "rb") as fh:
        for rec in ArchiveIterator(fh, record_types=WarcRecordType.response, parse_http=True):
            if rec.http_headers.status_code != 200 or "html" not in (rec.http_content_type or ""):
                continue
            body = rec.reader.read()
            html = bytes_to_str(body, rec.http_charset or detect_encoding(body, from_html_meta=True))
            text = extract_plain_text(html, **RESILIPARSE_OPTIONS).strip()
            if text:
                pages[rec.headers.get("WARC-Target-URI")] = text
    return pages


def wet_texts(path: Path) -> dict[str, str]:
    with open(path, "rb") as fh:
        return {rec.headers.get("WARC-Target-URI"): rec.reader.read().decode("utf-8", "replace")
                for rec in ArchiveIterator(fh, record_types=WarcRecordType.conversion)}


def warc_record_counts(path: Path) -> tuple[int, int]:
    """(all records, warcinfo records) by fastwarc."""
    with open(path, "rb") as fh:
        kinds = [rec.record_type for rec in ArchiveIterator(fh, parse_http=False)]
    return len(kinds), sum(1 for k in kinds if k == WarcRecordType.warcinfo)


# --- choosing a format ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("path, expected", [
    (WHIRLWIND_WARC, "warc"), (CC2014_WARC, "warc"), (CC2020_WARC, "warc"),
    (WHIRLWIND_WET, "wet"), (CC2014_WET, "wet"), (OSCAR, "jsonl"),
])
def test_each_fixture_is_read_by_its_format(path, expected):
    assert formats.choose(str(path), head(path)).name == expected


def test_content_beats_a_misleading_name_and_a_wrong_setting_is_refused(tmp_path):
    wet_named_warc = tmp_path / "x.warc.gz"
    wet_named_warc.write_bytes(WHIRLWIND_WET.read_bytes())
    assert formats.choose(str(wet_named_warc), head(wet_named_warc)).name == "wet"
    why = formats.choose(str(WHIRLWIND_WARC), head(WHIRLWIND_WARC), "wet")
    assert isinstance(why, str) and "looks like warc" in why
    assert "no registered format" in formats.choose("x.wet", b"", "nope")
    file_row = read(WHIRLWIND_WARC, IngestConfig(format="wet"))[KIND_FILE][0]  # not logged "empty", as it once was
    assert file_row["status"] == STATUS_REFUSED and "set ingest.format=warc" in file_row["error"]
    assert read(wet_named_warc, IngestConfig(format="wet"))[KIND_FILE][0]["documents"] == 1


def test_a_wat_file_and_a_listing_are_refused_with_a_reason(tmp_path):
    wat = tmp_path / "CC-MAIN-2014-35.warc.wat"  # WARC records of JSON metadata, no pages
    wat.write_bytes((ROOT.parent / "shared" / "data" / "cc_2014_npm_warc_fixtures" / (CC2014_WARC.name + ".wat"))
                    .read_bytes()) if (ROOT.parent / "shared").is_dir() else pytest.skip("../shared/data absent")
    rows = read(wat)
    file_row = rows[KIND_FILE][0]
    assert file_row["status"] == STATUS_REFUSED and "'metadata'" in file_row["error"]
    assert [q["reason"] for q in rows[KIND_QUARANTINE]] == ["refused"]
    listing = tmp_path / "CC-MAIN-2024-22.warc.paths.gz"
    listing.write_bytes(gzip.compress(b"cc-index/table/cc-main/warc/part-0.parquet\n"))
    assert read(listing)[KIND_FILE][0]["status"] == STATUS_REFUSED


# --- WARC -> text ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", WARCS, ids=lambda p: p.name[:24])
def test_warc_documents_match_fastwarc_and_resiliparse(path):
    rows = read(path)
    file_row = rows[KIND_FILE][0]
    total, infos = warc_record_counts(path)
    pages = fastwarc_pages(path)
    assert file_row["status"] == STATUS_OK and not rows[KIND_QUARANTINE]
    assert file_row["records_total"] == total
    assert file_row["documents"] + file_row["skipped_other_types"] == total - infos  # every record accounted for
    assert sum(json.loads(file_row["detail"]).values()) == file_row["skipped_other_types"]
    docs = {d["url"]: d for d in rows[KIND_DOCUMENT]}
    assert {u: d["text"] for u, d in docs.items()} == pages
    with open(path, "rb") as fh:
        ids = {r.headers.get("WARC-Target-URI"): r.headers.get("WARC-Record-ID")
               for r in ArchiveIterator(fh, record_types=WarcRecordType.response)}
    assert all(d["doc_id"] == doc_id_for(ids[u]) and d["crawl_id"].startswith("CC-MAIN-") for u, d in docs.items())


@pytest.mark.parametrize("warc, wet", PAIRS, ids=("whirlwind", "cc_2014"))
def test_warc_text_is_the_main_content_of_the_wet_text(warc, wet):
    """Every page with WET text has WARC text too; the main-content text is (mostly) inside the WET's full-page
    text, and shorter: menus and footers go."""
    ours = {d["url"]: d["text"] for d in read(warc)[KIND_DOCUMENT]}
    theirs = wet_texts(wet)
    assert set(theirs) <= set(ours)
    for url, wet_text in theirs.items():
        mine = tokens(ours[url])
        assert len(mine & tokens(wet_text)) / len(mine) > 0.7, url
        assert len(ours[url]) <= len(wet_text)


def test_warc_records_that_are_no_html_page_are_counted_not_quarantined():
    file_row = read(CC2014_WARC)[KIND_FILE][0]
    skips = json.loads(file_row["detail"])
    assert skips == {"metadata": 4, "not_html": 1, "request": 4}  # the not_html one: msn redirect, no body


# --- JSONL and Parquet datasets ----------------------------------------------------------------------------------

def oscar_rows() -> list[dict]:
    return [json.loads(line) for line in OSCAR.read_text().splitlines()]


def datatrove_rows() -> list[dict]:
    """The OSCAR records in datatrove's/Dolma's layout: text, id, metadata{url, date, dump}."""
    return [{"text": r["content"], "id": r["warc_headers"]["warc-record-id"],
             "metadata": {"url": r["warc_headers"]["warc-target-uri"], "date": r["warc_headers"]["warc-date"],
                          "dump": "CC-MAIN-2021-39"}} for r in oscar_rows()]


def test_oscar_jsonl_with_field_paths_gives_the_wet_doc_ids():
    cfg = IngestConfig(text_field="content", id_field="warc_headers.warc-record-id",
                       url_field="warc_headers.warc-target-uri")
    rows = read(OSCAR, cfg)
    source = oscar_rows()
    assert rows[KIND_FILE][0]["status"] == STATUS_OK and rows[KIND_FILE][0]["documents"] == len(source)
    assert [d["text"] for d in rows[KIND_DOCUMENT]] == [r["content"] for r in source]
    assert [d["doc_id"] for d in rows[KIND_DOCUMENT]] == [doc_id_for(r["warc_headers"]["warc-record-id"])
                                                          for r in source]
    assert rows[KIND_DOCUMENT][0]["url"] == source[0]["warc_headers"]["warc-target-uri"]


@pytest.mark.parametrize("name", ["part-0.jsonl.gz", "part-0.parquet"])
def test_datatrove_layout_dataset(tmp_path, name):
    source = datatrove_rows()
    path = tmp_path / name
    if name.endswith(".parquet"):
        pq.write_table(pa.Table.from_pylist(source), path, row_group_size=20)
    else:
        path.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in source).encode()))
    rows = read(path, IngestConfig(batch_rows=16))
    docs = rows[KIND_DOCUMENT]
    assert rows[KIND_FILE][0]["status"] == STATUS_OK and not rows[KIND_QUARANTINE]
    assert [d["text"] for d in docs] == [r["text"] for r in source]
    assert [d["url"] for d in docs] == [r["metadata"]["url"] for r in source]
    assert {d["crawl_id"] for d in docs} == {"CC-MAIN-2021-39"}
    assert all(d["warc_date"] is not None for d in docs)
    assert rows[KIND_FILE][0]["source_checksum"].startswith("crc32:")


def test_bad_jsonl_rows_are_quarantined_and_rows_without_id_get_file_and_line(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text('{"text": "first row, no id"}\n'
                    "not json\n"
                    '{"id": "b", "body": "no text field"}\n'
                    '{"id": "c", "text": "   "}\n'
                    '{"id": "d", "text": "fine"}\n'
                    '{"id": "d", "text": "same id again"}\n'
                    '{"id": "e", "text": "cut off by a cr')
    rows = read(path)
    assert [d["text"] for d in rows[KIND_DOCUMENT]] == ["first row, no id", "fine"]
    assert rows[KIND_DOCUMENT][0]["doc_id"] == doc_id_for(f"{path}:1")
    assert [q["reason"] for q in rows[KIND_QUARANTINE]] == [
        "malformed_json", "missing_text", "duplicate_record_id", "truncated_record"]
    file_row = rows[KIND_FILE][0]
    assert file_row["status"] == "truncated"  # the last line is cut: read again once the file is complete
    assert (file_row["records_total"], file_row["skipped_other_types"]) == (7, 1)


def test_parquet_without_the_text_column_is_refused(tmp_path):
    path = tmp_path / "other.parquet"
    pq.write_table(pa.table({"content": ["a"], "id": ["1"]}), path)
    file_row = read(path)[KIND_FILE][0]
    assert file_row["status"] == STATUS_REFUSED and "ingest.text_field" in file_row["error"]
    assert read(path, IngestConfig(text_field="content"))[KIND_FILE][0]["documents"] == 1


# --- configuration -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("key, value", [("ingest.extractor", "lynx"), ("ingest.text_field", "a..b"),
                                        ("ingest.format", "not a name")])
def test_bad_format_settings_are_config_errors(key, value):
    with pytest.raises(ConfigError, match=key):
        load_config(overrides={key: value})


def test_an_unknown_format_name_is_refused_before_spark_starts(tmp_path):
    with pytest.raises(PreflightError, match="names no input format"):
        run_ingest(None, load_config(overrides={"lake": str(tmp_path), "ingest.format": "warcz"}), [str(CC2020_WARC)])


def test_a_warc_cut_short_keeps_its_pages_before_the_cut_and_is_read_again_later(tmp_path):
    cut = tmp_path / "cut.warc.gz"
    data = CC2020_WARC.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    rows = read(cut)
    full = {d["doc_id"]: d["text"] for d in read(CC2020_WARC)[KIND_DOCUMENT]}
    assert rows[KIND_FILE][0]["status"] == "truncated"
    assert 0 < len(rows[KIND_DOCUMENT]) < len(full)
    assert all(full[d["doc_id"]] == d["text"] for d in rows[KIND_DOCUMENT])  # what was read is what a whole read gives
