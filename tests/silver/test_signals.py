"""Silver signals through Spark's mapInArrow: bad text gets defined values, the language profile and the
header-language shortcut behave as documented."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from etl.config import load_config
from etl.silver.scorers import BuiltinSignals
from etl.silver.quality import QUALITY_SIGNALS

BRONZE_DDL = ("doc_id string, url string, url_host string, crawl_id string, warc_date timestamp, "
              "cc_languages array<string>, content_length bigint, text string")
ENGLISH = ("The committee met on Tuesday to review the proposal. Members of the public were invited to "
           "comment, and several residents spoke in favour of the new library. ") * 5
ARABIC = "ذهب الطالبُ إلى المدرســة صباحاً، وقرأ كتاباً عن تاريخ المدينة القديمة. " * 5


def bronze(spark, texts: dict[str, tuple[str | None, list[str] | None]]):
    now = datetime(2024, 1, 1, tzinfo=timezone.utc)
    rows = [(k, f"https://x.example/{k}", "x.example", None, now, langs, len(t or ""), t)
            for k, (t, langs) in texts.items()]
    return spark.createDataFrame(rows, BRONZE_DDL)


@pytest.mark.parametrize("size", [1_000_000, pytest.param(10_000_000, marks=pytest.mark.slow)])
def test_bad_text_gets_defined_signals(spark, size):
    texts = {
        "none": (None, None), "empty": ("", None), "spaces": (" \n\t \n", None), "punct": ("!!! ... ??? ---", None),
        "controls": ("a\x00b\x07c\x1b[0m plain words here", None), "mixed": ("Hello 你好 مرحبا Привет", None),
        "one_line": ("word " * (size // 5), None), "english": (ENGLISH, ["eng"]),
    }
    rows = {r.doc_id: r for r in BuiltinSignals(load_config()).apply(bronze(spark, texts)).collect()}
    assert set(rows) == set(texts)
    for key in ("none", "empty", "spaces", "punct"):
        r = rows[key]
        assert r.language is None and r.language_score == 0.0 and r.language_source == "none"
        assert r.gopher_n_words == 0 and r.tox_tier == "none" and r.obscenity_hits == 0
    assert rows["none"].text is None and rows["empty"].text == "" and rows["spaces"].text == ""
    assert "\x00" not in rows["controls"].text and "\x07" not in rows["controls"].text
    assert rows["one_line"].gopher_n_words == size // 5 and rows["one_line"].fineweb_n_lines == 1
    assert rows["english"].language == "en" and rows["english"].gopher_n_stop_words >= 2
    for r in rows.values():  # every signal column is filled for every row that was scored
        assert all(getattr(r, name) is not None for name in QUALITY_SIGNALS)


def test_language_profile_skips_documents_the_header_rules_out(spark):
    texts = {"ar": (ARABIC, ["ara"]), "en": (ENGLISH, ["eng"]), "unknown": (ENGLISH, None)}
    cfg = load_config(overrides={"silver.languages": ["ar"]})
    rows = {r.doc_id: r for r in BuiltinSignals(cfg).apply(bronze(spark, texts)).collect()}
    assert rows["en"].language_source == "cc_header" and rows["en"].language == "en"
    assert rows["en"].gopher_n_words is None and rows["en"].tox_total is None  # not computed: cheap path
    assert rows["ar"].language == "ar" and rows["ar"].language_source == "langdetect"
    assert rows["unknown"].language_source == "langdetect"  # no header: cannot be ruled out
    # Arabic normalisation: tatweel and harakat removed in the stored text.
    assert "ــ" not in rows["ar"].text and "\u064f" not in rows["ar"].text


def test_signals_do_not_depend_on_partitioning(spark):
    texts = {str(i): (ENGLISH + str(i), ["eng"]) for i in range(12)}
    df = bronze(spark, texts)
    one = sorted(BuiltinSignals(load_config()).apply(df.repartition(1)).drop("warc_date").collect())
    many = sorted(BuiltinSignals(load_config()).apply(df.repartition(5)).drop("warc_date").collect())
    assert one == many
