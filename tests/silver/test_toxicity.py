"""Tests for etl.silver.toxicity: obscenity counts, lexicon dimensions and tiers, resources, edge inputs."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from etl.silver import toxicity as tx
from etl.silver.toxicity import (
    OUTPUT_COLUMNS,
    add_lexicon_files,
    clear_lexicon_files,
    load_lexicon_file,
    parse_lexicon,
    score_document,
    score_toxicity_series,
    toxicity_tier,
)

BUNDLED_LEXICONS = {"ar", "en", "de", "es", "fr", "it", "nl", "pl", "pt", "hi", "zh"}
LDNOOBW_FILES = 28
ONE_MB = 1 << 20


def dims(**scores: int) -> dict[str, int]:
    return {d: scores.get(d, 0) for d in tx.DIMENSIONS}


@pytest.fixture
def clean_registry():
    clear_lexicon_files()
    yield
    clear_lexicon_files()


def test_tiers_exactly_as_reference():
    assert toxicity_tier(dims()) == "none"
    assert toxicity_tier(dims(race_origin=2, religion=1)) == "none"  # total 3, no dimension at 3
    assert toxicity_tier(dims(violence=3)) == "mild"  # a single dimension at 3
    assert toxicity_tier(dims(race_origin=2, religion=2)) == "mild"  # total 4
    assert toxicity_tier(dims(race_origin=2, religion=2, ability=2)) == "mild"  # total 6
    assert toxicity_tier(dims(race_origin=3, religion=2, violence=2)) == "toxic"  # total 7


def test_none_and_empty_rows_score_zero():
    out = score_toxicity_series(pd.Series([None, "", float("nan")]), pd.Series([None, "en", None]))
    assert list(out.columns) == list(OUTPUT_COLUMNS)
    assert (out.drop(columns="tox_tier") == 0).all().all()
    assert out["tox_tier"].tolist() == ["none"] * 3
    empty = score_toxicity_series(pd.Series([], dtype=object), pd.Series([], dtype=object))
    assert list(empty.columns) == list(OUTPUT_COLUMNS) and len(empty) == 0


def test_series_types_index_and_alignment():
    texts = pd.Series(["Kill all Muslims, they are vermin.", "A calm day by the sea."], index=[7, 3])
    langs = pd.Series(["en", "en"], index=[0, 1])  # aligned by position, not by index
    out = score_toxicity_series(texts, langs)
    assert out.index.tolist() == [7, 3]
    assert out.loc[7, "tox_violence"] == 3 and out.loc[7, "tox_religion"] == 3
    assert out.loc[3, "tox_total"] == 0
    for column in OUTPUT_COLUMNS:
        expected = {"tox_tier": "object", "obscenity_per_1k_words": "float64"}.get(column, "int32")
        assert str(out[column].dtype) == expected, column
    with pytest.raises(ValueError):
        score_toxicity_series(texts, pd.Series(["en"]))


def test_obscenity_word_boundaries_and_rate():
    row = score_document("what a fucking mess, you ass", "en")
    assert row["obscenity_hits"] == 2
    assert row["obscenity_per_1k_words"] == pytest.approx(2 * 1000 / 6)
    assert score_document("a classic class on assessment", "en")["obscenity_hits"] == 0
    assert score_document("2 girls 1 cup", "en")["obscenity_hits"] == 1  # multi-word term


def test_obscenity_substring_for_no_space_languages():
    assert score_document("这是一个他妈的例子", "zh")["obscenity_hits"] == 1
    assert score_document("这是一个例子", "zh")["obscenity_hits"] == 0


def test_obscenity_language_fallbacks():
    # known language without an LDNOOBW list -> English list
    assert score_document("this is shit", "bg")["obscenity_hits"] == 1
    # unknown language -> every list (German and Spanish words are found)
    assert score_document("scheiße y mierda", None)["obscenity_hits"] == 2


def test_group_mention_alone_is_not_toxic():
    for text in ("Muslims gather to pray on Friday.", "Women won the election.", "I love my gay friends."):
        assert score_document(text, "en")["tox_total"] == 0, text


def test_mention_plus_hostility_raises_the_dimension():
    row = score_document("I hate women.", "en")
    assert row["tox_gender_sex"] == 3 and row["tox_tier"] == "mild"
    assert score_document("Immigrants are disgusting.", "en")["tox_race_origin"] == 2
    assert score_document("Rats are vermin.", "en")["tox_total"] == 0  # cue without a group


def test_co_occurrence_is_local():
    far = "Women attended. " + "Nothing else happened that day. " * 10 + "I hate Mondays."
    assert score_document(far, "en")["tox_gender_sex"] == 0


def test_slur_and_violence_and_toxic_tier():
    assert score_document("he is a faggot", "en")["tox_gender_sex"] == 3
    row = score_document("Kill all Jews, they are subhuman kikes", "en")
    assert row["tox_violence"] == 3 and row["tox_religion"] == 3 and row["tox_race_origin"] == 3
    assert row["tox_tier"] == "toxic"


def test_arabic_folding_and_clitics():
    plain = score_document("يجب قتلهم جميعا هؤلاء الكلاب اليهود", "ar")
    marked = score_document("يَجِبُ قَتْلُهُمْ جَمِيعاً هَؤُلاءِ الكِلابُ واليَهـــود", "ar")
    assert plain["tox_violence"] == marked["tox_violence"] == 3
    assert plain["tox_religion"] == marked["tox_religion"] == 3


def test_other_languages_score():
    assert score_document("Ich hasse Ausländer, dieses Ungeziefer.", "de")["tox_race_origin"] == 3
    assert score_document("Hay que matar a todos los inmigrantes.", "es")["tox_violence"] == 3
    assert score_document("女人都是垃圾，去死吧", "zh")["tox_gender_sex"] >= 2
    assert score_document("मुझे मुसलमानों से नफरत है", "hi")["tox_religion"] == 3


def test_unknown_language_uses_all_lexicons():
    assert score_document("Die Ausländer sind Abschaum.", None)["tox_race_origin"] == 3
    assert score_document("Die Ausländer sind Abschaum.", "sv")["tox_race_origin"] == 3


def test_bundled_resources_load():
    assert BUNDLED_LEXICONS <= set(tx.lexicon_languages())
    for lang in BUNDLED_LEXICONS:
        entries = load_lexicon_file(tx.LEXICON_DIR / f"{lang}.tsv")
        assert len(entries) > 50, lang
        assert {e.dimension for e in entries} >= set(tx.DIMENSIONS), lang
    assert (tx.LEXICON_DIR / "README.md").is_file()
    assert (tx.LDNOOBW_DIR / "ATTRIBUTION.md").is_file()
    assert (tx.LDNOOBW_DIR / "LICENSE-CC-BY-4.0.txt").is_file()
    lists = [p for p in tx.LDNOOBW_DIR.iterdir() if not p.name.endswith((".md", ".txt"))]
    assert len(lists) == LDNOOBW_FILES


def test_parse_lexicon_validates():
    text = "# comment\n\nfoo\trace_origin\t2\nbar\thostility\t3\n"
    assert [(e.term, e.dimension, e.weight) for e in parse_lexicon(text, "en")] == [
        ("foo", "race_origin", 2),
        ("bar", "hostility", 3),
    ]
    for bad in ("foo\tcolour\t2", "foo\trace_origin\t4", "foo\thostility\t0", "foo\tviolence\tx", "foo"):
        with pytest.raises(ValueError):
            parse_lexicon(bad, "en", source="bad.tsv")


def test_add_lexicon_files(tmp_path, clean_registry):
    custom = tmp_path / "sv.tsv"
    custom.write_text("invandrare\trace_origin\t0\nohyra\thostility\t3\n", encoding="utf-8")
    assert score_document("Invandrare är ohyra.", "sv")["tox_race_origin"] == 0
    add_lexicon_files([custom])
    assert "sv" in tx.lexicon_languages()
    assert score_document("Invandrare är ohyra.", "sv")["tox_race_origin"] == 3
    bad = tmp_path / "bad.tsv"
    bad.write_text("x\tnope\t1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.tsv:1"):
        add_lexicon_files([bad])


def test_control_chars_surrogates_and_one_megabyte_line():
    row = score_document("I\x00 hate\x07 women \ud800 shit", "en")
    assert row["tox_gender_sex"] == 3 and row["obscenity_hits"] == 1
    line = ("harmless words and more words " * (ONE_MB // 30))[:ONE_MB]
    start = time.perf_counter()
    row = score_document(line, "en")
    assert time.perf_counter() - start < 5
    assert row["tox_total"] == 0 and row["obscenity_hits"] == 0
