"""Input formats on real Spark and Delta: WARC and a text dataset through the whole refresh (bronze -> silver ->
gold), refusals retried, and a format registered in a test exactly as docs/sources.md says."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

from pyspark.sql import functions as F

from etl import tables
from etl.bronze import formats
from etl.bronze.ingest import run_ingest
from etl.bronze.records import STATUS_OK, STATUS_REFUSED
from etl.config import load_config
from etl.pipeline import refresh
from etl.table_specs import BRONZE_DOCUMENTS, BRONZE_INGEST_LOG, GOLD_DOCUMENTS, GOLD_DUPLICATES, GOLD_REJECTIONS, SILVER_DOCUMENTS

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
WARCS = (DATA / "cc_whirlwind" / "whirlwind.warc.gz",
         DATA / "cc_2014" / "CC-MAIN-20140820021334-00006-ip-10-180-136-8.ec2.internal.warc",
         DATA / "cc_warc_2020" / "warcfile.warc.gz")
WARC_DOCUMENTS = 1 + 3 + 16  # HTML pages with text (tests/bronze/test_formats.py checks them against fastwarc)
OSCAR = DATA / "oscar_2021" / "oscar_22.01_sample_63docs.jsonl"


def quiet(_msg):
    pass


def cfg_for(lake, **sets):
    return load_config(overrides={"lake": lake, **sets})


def test_warc_inputs_and_a_dataset_run_end_to_end_and_a_refused_file_is_retried(spark, tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for warc in WARCS:  # a directory of WARC files: today's inputs are found by suffix, as WET files are
        shutil.copy(warc, inputs / warc.name)
    dataset = tmp_path / "dolma-0000.json.gz"  # Dolma's layout: text, id, metadata{url}
    rows = [json.loads(line) for line in OSCAR.read_text().splitlines()]
    dataset.write_bytes(gzip.compress("".join(json.dumps(
        {"text": r["content"], "id": r["warc_headers"]["warc-record-id"],
         "metadata": {"url": r["warc_headers"]["warc-target-uri"]}}) + "\n" for r in rows).encode()))
    listing = tmp_path / "listing.txt"
    listing.write_text("crawl-data/CC-MAIN-2024-22/segments/x/warc/y.warc.gz\n")
    lake = str(tmp_path / "lake")
    # Formats are this test's subject: the toxicity classifier and benchmark decontamination (indexing two benchmarks
    # on a new lake) are left to the tests of the default config on the sample lake (tests/conftest.py: sample_lake).
    cfg = cfg_for(lake, **{"silver.toxicity_model_path": "", "gold.decontamination.bundled": []})

    summary = refresh(spark, cfg, [str(inputs), str(dataset), str(listing)], progress=quiet)

    assert summary.bronze.file_statuses == {STATUS_OK: 4, STATUS_REFUSED: 1}
    assert summary.bronze.documents_loaded == WARC_DOCUMENTS + len(rows)
    bronze = tables.read(spark, lake, BRONZE_DOCUMENTS)
    by_file = {r.source_file: r["count"] for r in bronze.groupBy("source_file").count().collect()}
    assert by_file[str(inputs / WARCS[2].name)] == 16 and by_file[str(dataset)] == len(rows)
    silver_ids = {r.doc_id for r in tables.read(spark, lake, SILVER_DOCUMENTS).select("doc_id").collect()}
    assert silver_ids == {r.doc_id for r in bronze.select("doc_id").collect()}
    decided = set()
    for name in (GOLD_DOCUMENTS, GOLD_REJECTIONS, GOLD_DUPLICATES):
        decided |= {r.doc_id for r in tables.read(spark, lake, name).select("doc_id").collect()}
    assert silver_ids <= decided  # every WARC page and dataset row got a gold decision
    warc_ids = {r.doc_id for r in bronze.where(F.col("source_file").endswith(".warc.gz")).select("doc_id").collect()}
    kept = {r.doc_id for r in tables.read(spark, lake, GOLD_DOCUMENTS).select("doc_id").collect()}
    assert warc_ids & kept  # some extracted pages pass the gold rules

    again = run_ingest(spark, cfg, [str(inputs), str(dataset), str(listing)], quiet)
    assert (again.files_already_done, again.files_processed, again.documents_loaded) == (4, 1, 0)
    log = tables.read(spark, lake, BRONZE_INGEST_LOG).where(F.col("source_file") == str(listing)).collect()
    assert [r.status for r in log] == [STATUS_REFUSED] * 2 and "no format recognises it" in log[0].error


def test_a_format_added_as_docs_sources_md_says_is_ingested(spark, tmp_path):
    """The example of docs/sources.md, verbatim: a format registered here, read by Spark's Python workers."""
    from etl.bronze.formats import Document, DocumentFormat, Problem, counted_stream

    class PagesTsv(DocumentFormat):
        """One page per line: url <TAB> text."""

        name = "pages_tsv"
        suffixes = (".pages.tsv",)

        def sniff(self, head):
            return None  # cannot tell from content: the name decides

        def items(self, src, cfg, stats):
            offset = 0
            for number, line in enumerate(counted_stream(src.stream, stats), 1):
                url, tab, text = line.decode("utf-8", "replace").rstrip("\n").partition("\t")
                if tab:
                    yield Document(text, record_id=f"{src.path}:{number}", offset=offset, url=url)
                else:
                    yield Problem(offset, "no_tab", f"line {number} has no tab", line, record=True)
                offset += len(line)

    formats.register(PagesTsv())
    try:
        path = tmp_path / "crawl.pages.tsv"
        path.write_text("https://a.example/1\tFirst page text.\nnot a page\nhttps://b.example/2\tSecond page.\n")
        lake = str(tmp_path / "lake")
        summary = run_ingest(spark, cfg_for(lake), [str(path)], quiet)
    finally:
        formats.unregister("pages_tsv")
    assert summary.file_statuses == {"partial": 1} and summary.quarantine_reasons == {"no_tab": 1}
    docs = tables.read(spark, lake, BRONZE_DOCUMENTS).orderBy("record_offset").collect()
    assert [(d.url, d.url_host, d.text) for d in docs] == [
        ("https://a.example/1", "a.example", "First page text."), ("https://b.example/2", "b.example", "Second page.")]
