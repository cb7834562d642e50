"""Benchmark decontamination: n-gram hashes agree with the word n-gram strings they stand for (the oracle), short
benchmark texts count at their own length, and the Spark join finds exactly the documents the oracle finds."""

from __future__ import annotations

import pytest

from etl.config import ConfigError, NormalizeOptions, load_config
from etl.gold.decontamination import document_ngrams, find_contamination, text_ngrams
from etl.gold.minhash import shingles
from etl.models.normalize import normalize_text

N = 13
QUESTION = ("Janet's ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes muffins for "
            "her friends every day with four.")
SHORT = "return sorted(set(l)) for the unique elements"  # 8 words: one n-gram of its own length
DOCS = {
    "copy": "Homework tonight: " + QUESTION.upper() + " Good luck!",  # case and context change, words do not
    "short": "In Python you can write return sorted(set(l)) for the unique elements of a list.",
    "partial": "Janet's ducks lay 16 eggs per day. She eats three for lunch on Sundays.",  # 11 shared words only
    "clean": "A page about ducks that quotes nothing from any benchmark at all, however long it gets.",
    "empty": "",
}


def oracle(doc: str, bench_texts: list[str], n: int = N, min_words: int = 1) -> bool:
    """Shares a word n-gram string with a benchmark text (a text shorter than n: all of its words in a row)."""
    doc_words = shingles(doc, 1)
    for text in bench_texts:
        words = shingles(normalize_text(text), 1)
        if len(words) < min_words:
            continue
        k = min(n, len(words))
        grams = {" ".join(words[i:i + k]) for i in range(len(words) - k + 1)}
        if grams & {" ".join(doc_words[i:i + k]) for i in range(len(doc_words) - k + 1)}:
            return True
    return False


def hashes_of(texts, min_words=1):
    return text_ngrams(texts, N, min_words, NormalizeOptions())


@pytest.mark.parametrize("text", [None, ""])
def test_none_and_empty_have_no_ngrams(text):
    assert [(w, len(h)) for w, h in hashes_of([text])] == [(0, 0)]
    assert [len(h) for h in document_ngrams([text], [N])] == [0]


def test_short_texts_use_their_length_and_min_words_leaves_them_out():
    (words, grams), = hashes_of([SHORT])
    assert words == 8 and len(grams) == 1
    assert hashes_of([SHORT], min_words=9)[0][0] == 0
    (words, grams), = hashes_of([QUESTION])
    assert words == N and len(grams) == len(set(shingles(normalize_text(QUESTION), N)))


def test_normalisation_and_case_do_not_change_the_hashes():
    fullwidth = QUESTION.replace("16", "１６")  # NFKC folds full-width digits, as silver does
    assert set(hashes_of([fullwidth])[0][1]) == set(hashes_of([QUESTION.lower()])[0][1])


def test_hash_matches_agree_with_the_string_oracle():
    bench = [QUESTION, SHORT]
    index = {(w, int(h)) for w, hs in hashes_of(bench) for h in hs}
    lengths = sorted({w for w, _ in index})
    for name, doc, grams in zip(DOCS, DOCS.values(), document_ngrams(list(DOCS.values()), lengths)):
        assert bool({h for _, h in index} & set(grams.tolist())) == oracle(doc, bench), name
    assert [oracle(d, bench) for d in DOCS.values()] == [True, True, False, False, False]


def test_spark_join_finds_the_oracle_documents(spark):
    bench = {"mathbench": [QUESTION], "codebench": [SHORT]}
    rows = [(name, w, int(h)) for name, texts in bench.items() for w, hs in hashes_of(texts) for h in hs]
    index = spark.createDataFrame(rows, "benchmark string, words int, ngram_hash bigint")
    docs = spark.createDataFrame(list(DOCS.items()), "doc_id string, text string")
    found = {(r.doc_id, r.benchmark) for r in find_contamination(docs, index, sorted({r[1] for r in rows})).collect()}
    expected = {(d, name) for d, text in DOCS.items() for name, texts in bench.items() if oracle(text, texts)}
    assert found == expected == {("copy", "mathbench"), ("short", "codebench")}


@pytest.mark.parametrize("key, value, message", [
    ("gold.pii", "mask", "gold.pii must be one of"),
    ("gold.max_pii_count", -1, "gold.max_pii_count must be >= 0"),
    ("gold.decontamination.action", "remove", "gold.decontamination.action must be one of"),
    ("gold.decontamination.bundled", ["mmlu"], "unknown benchmark 'mmlu'"),
    ("gold.decontamination.ngram", 0, "gold.decontamination.ngram must be >= 1"),
    ("gold.decontamination.benchmarks", [{"name": "x", "path": "x.jsonl"}], "needs exactly"),
    ("gold.decontamination.benchmarks", [{"name": "x", "path": "x.jsonl", "fields": []}], "non-empty list"),
    ("gold.decontamination.benchmarks", [{"name": "gsm8k", "path": "x.jsonl", "fields": ["q"]}], "unique"),
])
def test_bad_privacy_settings_name_the_key(key, value, message):
    with pytest.raises(ConfigError, match=message):
        load_config(overrides={key: value, "silver.toxicity_model_path": ""})
