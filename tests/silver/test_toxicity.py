"""Tests for etl.silver.toxicity: obscenity counts, lexicon dimensions and tiers, resources, edge inputs."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import pytest

from etl.config import GoldConfig
from etl.silver import toxicity as tx
from etl.models.normalize import normalize_text
from etl.silver.toxicity import (
    OUTPUT_COLUMNS,
    add_ldnoobw_allow_files,
    add_ldnoobw_files,
    add_lexicon_files,
    clear_ldnoobw_files,
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
DATA = Path(__file__).resolve().parents[1] / "data"
OSCAR = DATA / "oscar_2021" / "oscar_22.01_sample_63docs.jsonl"
JIGSAW = DATA / "jigsaw" / "test_examples.csv"
MAX_RATIO = GoldConfig().max_badword_ratio
OLD_MAX_HITS = 2  # the removed GoldConfig.max_badword_hits, to show what the old rule did

# Herman Melville, Moby-Dick (1851), chapter 36 "The Quarter-Deck", public domain (Project Gutenberg #2701).
MOBY_DICK_CH36 = (
    '"Captain Ahab, I have heard of Moby Dick\u2014but it was not Moby Dick that took off thy leg?" '
    '"Who told thee that?" cried Ahab; then pausing, "Aye, Starbuck; aye, my hearties all round; it was Moby Dick '
    "that dismasted me; Moby Dick that brought me to this dead stump I stand on now. Aye, aye,\" he shouted with a "
    'terrific, loud, animal sob, like that of a heart-stricken moose; "Aye, aye! it was that accursed white whale '
    'that razeed me; made a poor pegging lubber of me for ever and a day!"'
)
# The "Problem Statement" and "Variants" of a public graph-theory wiki note "Roman Domination" (found through the
# code search as a published Obsidian garden page, permalink /roman-domination/; link markup rendered as its text,
# as a WET extraction shows it): encyclopedic text where "domination" is the technical term.
ROMAN_DOMINATION = (
    "Given a graph, a Roman Dominating Function is a function that labels the vertices of the graph with an integer "
    "between 0,1,2, satisfying the condition that every vertex labeled by 0 is adjacent to at least one vertex "
    "labeled by 2. The weight of a Roman Dominating Function is the sum of all the labels, and the minimum weight is "
    "called the Roman Domination Number. The Roman Domination Problem is to find such number and function\n"
    "Variants\nDouble Roman Domination\nSigned Roman Domination\nSigned Total Roman Domination"
)


def oscar_record(url: str) -> str:
    """The text of one real CC-MAIN-2021-39 record of the OSCAR sample, by URL."""
    for line in OSCAR.read_text(encoding="utf-8").splitlines():
        doc = json.loads(line)
        if doc["warc_headers"]["warc-target-uri"] == url:
            return doc["content"]
    raise KeyError(url)


def dims(**scores: int) -> dict[str, int]:
    return {d: scores.get(d, 0) for d in tx.DIMENSIONS}


@pytest.fixture
def clean_registry():
    clear_lexicon_files()
    yield
    clear_lexicon_files()


@pytest.fixture
def clean_ldnoobw():
    clear_ldnoobw_files()
    yield
    clear_ldnoobw_files()


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
    # obscenity_hits is nullable (Int32) since a language without a list is not measured; ratios are float64.
    for column in OUTPUT_COLUMNS:
        expected = {"tox_tier": "object", "obscenity_per_1k_words": "float64", "obscenity_word_ratio": "float64",
                    "obscenity_hits": "Int32"}.get(column, "int32")
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


def test_obscenity_word_ratio():
    row = score_document("what a fucking mess, you ass", "en")
    assert row["obscenity_word_ratio"] == pytest.approx(2 / 6)
    assert row["obscenity_per_1k_words"] == pytest.approx(row["obscenity_word_ratio"] * tx.WORDS_PER_RATE)


def test_obscenity_only_the_documents_own_list():
    """Replaces the old fallbacks (English list for a language without one, every list for an unknown language):
    such documents are now not measured (null), so no badwords rule fires on them."""
    for lang in ("bg", "ro", None):  # no LDNOOBW list for Bulgarian or Romanian; None = language unknown
        row = score_document("this is shit, scheiße y mierda", lang)
        assert row["obscenity_hits"] is None and row["obscenity_word_ratio"] is None, lang
        assert row["obscenity_per_1k_words"] is None
    # Romanian "cum" (how) was an English-list hit under the fallback.
    assert score_document("Cum se face asta?", "ro")["obscenity_hits"] is None
    assert score_document("scheiße y mierda", "de")["obscenity_hits"] == 1  # German list only
    assert "bg" not in tx.ldnoobw_languages() and "en" in tx.ldnoobw_languages()
    out = score_toxicity_series(pd.Series(["this is shit", "this is shit"]), pd.Series(["en", "bg"]))
    assert out["obscenity_hits"].tolist()[0] == 1 and pd.isna(out["obscenity_hits"].iloc[1])
    assert pd.isna(out["obscenity_word_ratio"].iloc[1])


def test_none_text_scores_zero_in_any_language():
    for lang in ("en", "bg", None):
        row = score_document(None, lang)
        assert row["obscenity_hits"] == 0 and row["obscenity_word_ratio"] == 0.0, lang


def test_moby_dick_is_not_obscene():
    """Melville's own text: "Moby Dick" x4 and "pegging" (peg-legged) were 5 hits, a drop under the old rule."""
    folded = tx.fold_for_matching(MOBY_DICK_CH36)
    assert folded.count("moby dick") == 4
    row = score_document(MOBY_DICK_CH36, "en")
    assert row["obscenity_hits"] == 0 and row["obscenity_word_ratio"] == 0.0
    title = "MOBY-DICK; or, THE WHALE. By Herman Melville"  # the title page of the same edition
    assert score_document(title, "en")["obscenity_hits"] == 0
    # a hit outside the allowed phrase still counts
    assert score_document("Moby Dick, and then a dick pic", "en")["obscenity_hits"] == 1


def test_domination_is_an_ordinary_word():
    """The term of art of a real encyclopedic note; 5 hits of "domination" dropped it under the old rule."""
    assert tx.fold_for_matching(ROMAN_DOMINATION).count("domination") == 5 > OLD_MAX_HITS
    assert score_document(ROMAN_DOMINATION, "en")["obscenity_hits"] == 0
    assert score_document("a dominatrix", "en")["obscenity_hits"] == 1  # the list keeps its other terms


def test_real_encyclopedia_articles_are_kept():
    """Real Wikipedia records of the OSCAR sample that the old rule (hits > 2) dropped."""
    modernist = score_document(oscar_record("https://en.wikipedia.org/wiki/Modernist"), "en")
    # nudity, sexuality, "Dick Higgins", ... : ten real hits in ~20,000 words, far below the ratio threshold
    assert modernist["obscenity_hits"] > OLD_MAX_HITS and modernist["obscenity_word_ratio"] < MAX_RATIO
    navi_mumbai = score_document(oscar_record("https://en.wikipedia.org/wiki/Navi_Mumbai"), "en")
    assert navi_mumbai["obscenity_hits"] == 0  # "sex ratio" x3 and "rail-cum-road bridge": allowed phrases
    # zh: 性 is the suffix -ness/-ity; the grammar article "人称" had 21 substring hits of it
    person = score_document(oscar_record("https://zh.wikipedia.org/zh-cn/%E4%BA%BA%E7%A7%B0"), "zh")
    assert person["obscenity_hits"] == 0
    assert score_document("这是一个他妈的例子", "zh")["obscenity_hits"] == 1  # a real zh obscenity still counts


@pytest.mark.parametrize("row, prefix", [(11, "and do you think i give a flying fuck"),
                                         (100, "shalom semite get the fuck out of here")])
def test_real_obscene_comment_is_still_flagged(row, prefix):
    """Jigsaw comments labelled obscene by people (CC0): above the ratio threshold. Row 11 has only 2 hits, which
    the old count rule (> 2) kept; its ratio (2 in 14 words) flags it."""
    comment = pd.read_csv(JIGSAW).iloc[row]
    assert comment["obscene"] == 1 and comment["comment_text"].startswith(prefix)
    scores = score_document(normalize_text(comment["comment_text"]), "en")
    assert scores["obscenity_hits"] >= 2 and scores["obscenity_word_ratio"] > MAX_RATIO


def test_bundled_allow_lists_load():
    allowed = tx._allow_entries()
    assert {"en", "zh", "ja"} <= set(allowed) and "domination" in allowed["en"] and "moby dick" in allowed["en"]
    assert (tx.LDNOOBW_ALLOW_DIR / "README.md").is_file()
    assert set(allowed) <= set(tx.ldnoobw_languages())  # an allow-list for a language without a list is a typo


def test_user_lists_and_allow_lists(tmp_path, clean_ldnoobw):
    words = tmp_path / "bg"
    words.write_text("# user list\nмамка ти\n", encoding="utf-8")
    assert score_document("мамка ти", "bg")["obscenity_hits"] is None
    add_ldnoobw_files([words])
    assert "bg" in tx.ldnoobw_languages()
    assert score_document("Мамка ти!", "bg")["obscenity_hits"] == 1
    allow = tmp_path / "allow.txt"
    allow.write_text("bitches with pyometra\nbutt*\n", encoding="utf-8")
    text = "Bitches with pyometra were treated; the butt joint held."
    assert score_document(text, "en")["obscenity_hits"] == 2
    add_ldnoobw_allow_files([allow], lang="en")
    assert score_document(text, "en")["obscenity_hits"] == 0
    clear_ldnoobw_files()
    assert score_document(text, "en")["obscenity_hits"] == 2
    with pytest.raises(FileNotFoundError):
        add_ldnoobw_files([tmp_path / "missing"])


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
