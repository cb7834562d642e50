"""Export's token counts: per document equal to the `tokenizers` library's own counts (bundled GPT-2 BPE and a user's
tokenizer.json), per file and in the manifest equal to the sum of the rows; the output-format seam takes a new format."""

from __future__ import annotations

import gzip
import json

import pyarrow as pa
import pytest
from tokenizers import Tokenizer, models, pre_tokenizers

from etl import export, tables
from etl.config import BUNDLED_TOKENIZER, TOKENIZER_WORDS
from etl.export import (MANIFEST, TOKEN_COUNT_FIELD, WORD_RE, ExportOptions, ExportUsageError, export_table,
                        load_tokenizer, validate)
from etl.export.base import LINE_COLUMN
from etl.export.counts import text_counts
from etl.export.tokens import BUNDLED_TOKENIZERS, bundled_resource
from etl.table_specs import GOLD_DOCUMENTS

# Short texts with the cases a tokenizer can trip on: null, empty, non-Latin scripts, emoji, a byte order mark,
# whitespace runs, and GPT-2's special token spelled out in the text.
ROWS = [("d1", "en", "Hello world, this is a test."),
        ("d2", "en", None),
        ("d3", "de", ""),
        ("d4", "ar", "مرحبا بالعالم"),
        ("d5", "zh", "你好，世界！🙂"),
        ("d6", "en", "\ufeffBOM  and   spaces\n\n\ttabs"),
        ("d7", "en", "ends with <|endoftext|> spelled out")]
DDL = "doc_id string, language string, text string"
SHARD_ROWS = 3  # several files from seven rows
USER_VOCAB = {"[UNK]": 0, "hello": 1, "world": 2}


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory) -> str:
    lake = str(tmp_path_factory.mktemp("tokens") / "lake")
    spark.createDataFrame(ROWS, DDL).write.format("delta").save(tables.table_path(lake, GOLD_DOCUMENTS))
    return lake


def library_counts(tok: Tokenizer, texts) -> list[int]:
    """The tokenizers library's own count per text, one text at a time (0 for a null text)."""
    return [len(tok.encode(t, add_special_tokens=False).ids) if t is not None else 0 for t in texts]


def records_and_manifest(out) -> tuple[list[dict], dict]:
    manifest = json.loads((out / MANIFEST).read_text())
    records = [json.loads(line) for f in manifest["files"] for line in gzip.open(out / f["path"], "rt")]
    return records, manifest


def assert_totals_are_sums(records: list[dict], manifest: dict, field: str | None) -> None:
    by_id = {r["id"]: r for r in records}
    assert sorted(by_id) == sorted(d for d, _, _ in ROWS)
    words = sum(len(WORD_RE.findall(t or "")) for _, _, t in ROWS)
    tokens = sum(r["metadata"][field] for r in records) if field else words
    totals = manifest["totals"]
    assert (totals["documents"], totals["rows"], totals["words"], totals["tokens"]) == (len(ROWS), len(ROWS), words,
                                                                                      tokens)
    for key in ("rows", "words", "tokens", "text_bytes"):
        assert totals[key] == sum(f[key] for f in manifest["files"]) == sum(v[key] for v in
                                                                           manifest["languages"].values())
    start = 0
    for f in manifest["files"]:  # per file: the sum of its own rows
        mine = records[start:start + f["rows"]]
        start += f["rows"]
        assert f["tokens"] == (sum(r["metadata"][field] for r in mine) if field else
                               sum(len(WORD_RE.findall(r["text"] or "")) for r in mine))


def test_bundled_tokenizer_counts_equal_the_library_and_totals_the_rows(spark, lake, tmp_path):
    out = tmp_path / "gpt2"
    summary = export_table(spark, lake, ExportOptions(out=str(out), shard_rows=SHARD_ROWS), progress=lambda _: None)
    records, manifest = records_and_manifest(out)
    tok = Tokenizer.from_str(gzip.decompress(bundled_resource(BUNDLED_TOKENIZERS[BUNDLED_TOKENIZER]).read_bytes())
                             .decode("utf-8"))
    assert [r["metadata"][TOKEN_COUNT_FIELD] for r in records] == library_counts(tok, [r["text"] for r in records])
    assert {r["id"]: r["metadata"][TOKEN_COUNT_FIELD] for r in records}["d2"] == 0
    assert records[0]["metadata"][TOKEN_COUNT_FIELD] == 8  # "Hello| world|,| this| is| a| test|." in GPT-2
    assert len(manifest["files"]) == -(-len(ROWS) // SHARD_ROWS)
    assert_totals_are_sums(records, manifest, TOKEN_COUNT_FIELD)
    assert manifest["tokenizer"]["name"] == manifest["totals"]["tokenizer"] == BUNDLED_TOKENIZER
    assert manifest["tokenizer"]["sha256"] == load_tokenizer(BUNDLED_TOKENIZER).sha256
    assert summary.total("tokens") == manifest["totals"]["tokens"]

    # The dataset card's counts over the same rows, by the same tokenizer, equal the export's.
    counts = text_counts(spark.createDataFrame(ROWS, DDL), BUNDLED_TOKENIZER)
    assert {k: counts[k] for k in ("documents", "words", "tokens", "tokenizer")} == {
        "documents": len(ROWS), "words": manifest["totals"]["words"], "tokens": manifest["totals"]["tokens"],
        "tokenizer": BUNDLED_TOKENIZER}


def test_a_user_tokenizer_json_and_words_only(spark, lake, tmp_path):
    user = Tokenizer(models.WordLevel(USER_VOCAB, unk_token="[UNK]"))
    user.pre_tokenizer = pre_tokenizers.Whitespace()
    path = tmp_path / "tokenizer.json"
    user.save(str(path))
    out = tmp_path / "user"
    export_table(spark, lake, ExportOptions(out=str(out), tokenizer=str(path)), progress=lambda _: None)
    records, manifest = records_and_manifest(out)
    assert [r["metadata"][TOKEN_COUNT_FIELD] for r in records] == library_counts(user, [r["text"] for r in records])
    assert manifest["tokenizer"]["name"] == "tokenizer.json" and manifest["tokenizer"]["source"] == str(path)
    assert_totals_are_sums(records, manifest, TOKEN_COUNT_FIELD)

    out = tmp_path / "words"
    export_table(spark, lake, ExportOptions(out=str(out), tokenizer=TOKENIZER_WORDS), progress=lambda _: None)
    records, manifest = records_and_manifest(out)
    assert all(TOKEN_COUNT_FIELD not in r["metadata"] for r in records)
    assert manifest["tokenizer"] is None and manifest["totals"]["tokenizer"] == TOKENIZER_WORDS
    assert_totals_are_sums(records, manifest, None)


@pytest.mark.parametrize("setting, message", [("/no/such/tokenizer.json", "no such file"),
                                              ("s3://bucket/tokenizer.json", "local tokenizer.json"),
                                              (__file__, "not a tokenizers JSON")])
def test_a_bad_tokenizer_is_a_usage_error_before_spark(tmp_path, setting, message):
    with pytest.raises(ExportUsageError, match=message):
        validate(ExportOptions(out=str(tmp_path / "x"), tokenizer=setting))


class TextLines:
    """A toy output format: each record's text on one line (what a new format module holds)."""

    name = "txt"
    extensions = {"none": ".txt"}
    needs_lines = True

    def open(self, path: str, codec: str):
        return TextLinesWriter(path)


class TextLinesWriter:
    def __init__(self, path: str):
        self.fh = open(path, "w", encoding="utf-8")

    def write(self, table: pa.Table, record_columns: list[str]) -> None:
        for line in table.column(LINE_COLUMN).to_pylist():
            self.fh.write((json.loads(line)["text"] or "").replace("\n", " ") + "\n")

    def close(self) -> None:
        self.fh.close()

    def discard(self) -> None:
        self.fh.close()


def test_a_registered_output_format_writes_shards(spark, lake, tmp_path):
    export.register(TextLines())
    try:
        out = tmp_path / "txt"
        export_table(spark, lake, ExportOptions(out=str(out), fmt="txt"), progress=lambda _: None)
        manifest = json.loads((out / MANIFEST).read_text())
        assert [f["path"] for f in manifest["files"]] == ["data/train-00000-of-00001.txt"]
        lines = (out / manifest["files"][0]["path"]).read_text(encoding="utf-8").splitlines()
        assert lines[0] == "Hello world, this is a test." and len(lines) == len(ROWS)
    finally:
        export.unregister("txt")
    with pytest.raises(ExportUsageError, match="--format must be one of"):
        validate(ExportOptions(out=str(tmp_path / "y"), fmt="txt"))
