"""Presets: every shipped one loads, and a new language preset written as etl/presets/README.md says (here Persian)
is a valid config whose thresholds gold applies to that language only."""

from __future__ import annotations


import pandas as pd
import pytest

from etl.config import ConfigError, load_config
from etl.gold.decisions import decide
from etl.presets import PRESET_DIR, preset_path
from etl.silver.quality import quality_signals

PERSIAN = """
[silver]
languages = ["fa"]

[silver.normalize]
arabic_alef_maqsura_to_yeh = false
arabic_teh_marbuta_to_heh = false

[gold.language_overrides.fa]
"gopher_quality:few_stop_words" = 0
"gopher_quality:short_doc" = 5
"""


@pytest.mark.parametrize("name", sorted(p.stem for p in PRESET_DIR.glob("*.toml")))
def test_shipped_presets_load(name):
    cfg = load_config(preset_path(name))
    assert cfg.silver.languages


def test_a_new_language_preset_applies_to_its_language_only(spark, tmp_path):
    path = tmp_path / "persian.toml"
    path.write_text(PERSIAN, encoding="utf-8")
    cfg = load_config(path)
    assert cfg.silver.languages == ["fa"]
    assert cfg.gold.language_overrides["fa"]["gopher_quality:short_doc"] == 5
    # Ten words each: short for every language's default (50 words), long enough for the Persian preset's 5.
    texts = {"fa": "کتابخانه شهر امروز صبح با حضور مردم و مسئولان بازگشایی شد.",
             "en": "The city library reopened this morning with residents and officials present."}
    rows = [pd.Series({"doc_id": lang, "language": lang, "language_score": 0.99, **quality_signals(text)})
            for lang, text in texts.items()]
    frame = spark.createDataFrame(pd.DataFrame(rows))
    cfg.gold.families = ["gopher_quality"]
    reasons = {r.doc_id: r.drop_reason for r in decide(frame, cfg.gold, cfg.silver.languages).collect()}
    assert reasons == {"fa": None, "en": "gopher_quality:short_doc"}


def test_a_misspelt_rule_in_a_preset_is_an_error(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[gold.language_overrides.fa]\n"gopher_quality:short_docs" = 5\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown rule 'gopher_quality:short_docs'"):
        load_config(path)
