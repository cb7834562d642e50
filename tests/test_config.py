"""Config errors are one line naming the key (or the file position), raised before any Spark starts."""

from __future__ import annotations

import pytest

from etl.config import ConfigError, load_config


@pytest.mark.parametrize(
    "sets, message",
    [
        (["spark.driver_memory='lots'"], "spark.driver_memory must look like"),
        (["silver.languages=['Arabic!']"], "silver.languages: 'Arabic!' is not a language code"),
        (["gold.char_word_languages=['z h']"], "gold.char_word_languages"),
        (["gold.min_language_score=1.5"], "gold.min_language_score must be between 0 and 1"),
        (["gold.max_badword_ratio=-0.1"], "gold.max_badword_ratio must be between 0 and 1"),
        (["nope.key=1"], "unknown config key 'nope'"),
        (["gold.max_badword_hits=3"], "was replaced: use gold.max_badword_ratio"),
    ],
)
def test_bad_values_name_their_key(sets, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("[", r"\[")):
        load_config(sets=sets)


def test_good_values_pass():
    cfg = load_config(sets=["spark.driver_memory='512m'", "silver.languages=['ar', 'en', 'zh-Hant']"])
    assert cfg.spark.driver_memory == "512m" and cfg.silver.languages == ["ar", "en", "zh-Hant"]


@pytest.mark.parametrize(
    "name, text, position",
    [
        ("bad.yaml", "lake: x\nsilver:\n  languages: [ar\ngold:\n  x: 1\n", "line 4, column 5"),
        ("bad.toml", "lake = 'x'\n[silver\nlanguages = []\n", "line 2"),
        ("bad.json", '{"lake": "x",\n "silver": }\n', "line 2 column 12"),
    ],
)
def test_parse_errors_give_line_and_column(tmp_path, name, text, position):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"cannot parse {path}") and position in message and "\n" not in message
