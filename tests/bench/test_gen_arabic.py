"""Tests for bench/gen_arabic.py (pure Python): deterministic output, every category planted, WET that parses."""

from __future__ import annotations

import json

import pytest

import bench.gen_arabic as gen_arabic
from bench.gen_arabic import (
    BLOCKLIST_DOMAINS,
    CATEGORIES,
    MIN_DOCS,
    blocklist_path,
    build_docs,
    generate,
    ground_truth_path,
)
from etl.io.warc import Damage, Record, WarcReader
from etl.models.normalize import normalize_text

N_DOCS = 60
SEED = 5
NEAR_DUP_MIN_JACCARD = 0.7  # the LSH threshold the Arabic recipe dedups at
SHINGLE = 5


def read_wet(path) -> list[Record | Damage]:
    with open(path, "rb") as fh:
        return list(WarcReader(fh))


def shingles(text: str) -> set[tuple[str, ...]]:
    words = text.split()
    return {tuple(words[i:i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen_arabic")
    paths = generate(out, n_docs=N_DOCS, seed=SEED, docs_per_file=25)
    truth = json.loads(ground_truth_path(out, SEED).read_text(encoding="utf-8"))
    records = [item for p in paths for item in read_wet(p)]
    return out, paths, truth, records


def test_generator_is_deterministic(generated, tmp_path):
    out, paths, truth, _ = generated
    again = generate(tmp_path, n_docs=N_DOCS, seed=SEED, docs_per_file=25)
    assert [p.name for p in again] == [p.name for p in paths]
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(again, paths))
    assert ground_truth_path(tmp_path, SEED).read_bytes() == ground_truth_path(out, SEED).read_bytes()
    assert build_docs(N_DOCS, SEED + 1) != build_docs(N_DOCS, SEED)


def test_file_names_say_generated(generated):
    out, paths, truth, records = generated
    assert len(paths) == 3 and all(p.name.startswith("GENERATED-arabic-") for p in paths)
    infos = [r for r in records if isinstance(r, Record) and r.type == "warcinfo"]
    assert len(infos) == len(paths) and all(b"GENERATED" in r.payload for r in infos)
    assert "GENERATED" in truth["description"]


def test_wet_parses_and_matches_ground_truth(generated):
    _, paths, truth, records = generated
    assert not [r for r in records if isinstance(r, Damage)]
    for path in paths:  # Common Crawl layout: warcinfo first, then conversions
        types = [r.type for r in read_wet(path)]
        assert types[0] == "warcinfo" and set(types[1:]) == {"conversion"}
    conversions = [r for r in records if r.type == "conversion"]
    urls = [r.headers["warc-target-uri"] for r in conversions]
    assert len(urls) == len(set(urls)) == N_DOCS == truth["n_docs"]
    assert set(urls) == set(truth["categories"])
    ids = {r.headers["warc-record-id"] for r in conversions}
    assert len(ids) == N_DOCS
    for r in conversions:
        expected_header = truth["language_header"][r.headers["warc-target-uri"]]
        assert r.headers.get("warc-identified-content-language") == expected_header
        assert r.headers["content-type"] == "text/plain" and r.payload.decode("utf-8")


def test_every_category_is_planted(generated):
    _, _, truth, _ = generated
    assert set(truth["categories"].values()) == set(CATEGORIES)
    headers = set(truth["language_header"].values())
    assert {"ara", None} <= headers and headers & {"eng", "fra"}
    with pytest.raises(ValueError):
        build_docs(MIN_DOCS - 1)


def test_planted_copies_relate_to_their_originals(generated):
    _, _, truth, records = generated
    text = {r.headers["warc-target-uri"]: r.payload.decode("utf-8") for r in records if r.type == "conversion"}
    copies = truth["duplicate_of"]
    assert {truth["categories"][u] for u in copies} == {"near_duplicate", "exact_duplicate", "diacritics_variant"}
    for url, base in copies.items():
        category = truth["categories"][url]
        assert truth["categories"][base] == "clean"
        if category == "exact_duplicate":
            assert text[url] == text[base]
        elif category == "diacritics_variant":
            assert text[url] != text[base]
            assert normalize_text(text[url]) == normalize_text(text[base])
        else:
            a, b = shingles(text[url]), shingles(text[base])
            assert text[url] != text[base] and len(a & b) / len(a | b) >= NEAR_DUP_MIN_JACCARD


def test_url_categories_and_blocklist(generated):
    out, _, truth, _ = generated
    listed = [line for line in blocklist_path(out, SEED).read_text(encoding="utf-8").splitlines()
              if line and not line.startswith("#")]
    assert listed == list(BLOCKLIST_DOMAINS)
    for url, category in truth["categories"].items():
        host = url.split("/")[2]
        blocked = any(host == d or host.endswith("." + d) for d in listed)
        assert blocked == (category == "blocklisted_domain"), url


def test_normalisation_exercised(generated):
    _, _, truth, records = generated
    category = truth["categories"]
    decorated = [r.payload.decode("utf-8") for r in records
                 if r.type == "conversion" and category[r.headers["warc-target-uri"]] == "diacritics_variant"]
    assert any("\u064e" <= ch <= "\u0652" for text in decorated for ch in text)  # harakat


def test_works_without_shared_data(monkeypatch, tmp_path):
    """A clone without ../shared still generates a complete set, from the tests/data slice alone."""
    monkeypatch.setattr(gen_arabic, "HATECHECK_FULL", tmp_path / "absent.csv")
    assert gen_arabic.arabic_sentences()
    docs = build_docs(MIN_DOCS, SEED)
    assert {d.category for d in docs} == set(CATEGORIES)
