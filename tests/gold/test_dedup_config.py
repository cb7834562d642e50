"""One dedup config: checked whole when it is built (a bad value exits 2 with one line before Spark starts), frozen,
and the only source of MinHash, LSH and components parameters and of the dedup stage names. No Spark."""

from __future__ import annotations

import dataclasses
import inspect
import re
from pathlib import Path

import pytest

from etl.cli import main as cli_main
from etl.cli.common import EXIT_USAGE
from etl.config import DEDUP_KEY, ConfigError, DedupConfig, load_config
from etl.gold import components, dedup
from etl.gold.lsh import bands_rows
from etl.gold.minhash import MinHasher

ROOT = Path(__file__).resolve().parents[2]
WHIRLWIND = ROOT / "data" / "sample" / "CC-MAIN-2024-22-whirlwind.warc.wet.gz"
BAD_PAIR = ["gold.dedup.bands=20", "gold.dedup.rows=5"]  # 100 != the default 256 permutations
BAD_PAIR_MESSAGE = "gold.dedup.bands x gold.dedup.rows must equal gold.dedup.num_perm: 20 x 5 = 100, num_perm = 256"


@pytest.fixture()
def no_spark(monkeypatch):
    """Any attempt to start Spark fails the test: the config is checked first."""
    def refuse(*_args, **_kwargs):
        raise AssertionError("Spark was started")

    monkeypatch.setattr("etl.spark.get_spark", refuse)


@pytest.mark.parametrize("job, extra", [("gold", []), ("refresh", ["--input", str(WHIRLWIND)])])
def test_a_bad_bands_rows_pair_exits_2_before_spark(job, extra, tmp_path, capsys, no_spark):
    lake = tmp_path / "lake"
    lake.mkdir()
    sets = [arg for item in BAD_PAIR for arg in ("--set", item)]
    assert cli_main([job, "--lake", str(lake), *extra, *sets]) == EXIT_USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and BAD_PAIR_MESSAGE in err[0], err


@pytest.mark.parametrize(
    "sets, message",
    [
        (BAD_PAIR, BAD_PAIR_MESSAGE),
        (["gold.dedup.bands=32"], "gold.dedup.bands and gold.dedup.rows go together"),
        (["gold.dedup.num_perm=128", "gold.dedup.bands=0", "gold.dedup.rows=8"], "must equal gold.dedup.num_perm"),
        (["gold.dedup.num_perm=0"], "gold.dedup.num_perm must be >= 1"),
        (["gold.dedup.ngram=0"], "gold.dedup.ngram must be >= 1"),
        (["gold.dedup.max_iterations=0"], "gold.dedup.max_iterations must be >= 1"),
        (["gold.dedup.seed=-1"], "gold.dedup.seed must be in [0, 4294967295]"),
        ([f"gold.dedup.seed={2**32}"], "gold.dedup.seed must be in [0, 4294967295]"),
        (["gold.dedup.threshold=0"], "gold.dedup.threshold must be in (0, 1]"),
        (["gold.dedup.threshold=1.5"], "gold.dedup.threshold must be in (0, 1]"),
        (["gold.dedup.verify_threshold=1.2"], "gold.dedup.verify_threshold must be in [0, 1]"),
        (["gold.dedup.kind=bytes"], "gold.dedup.kind must be one of word, char, auto"),
        (["gold.dedup.mode=slow"], "gold.dedup.mode must be one of fast, datasketch"),
        (["gold.dedup.verify_method=estimate"], "gold.dedup.verify_method must be one of exact"),
        (["gold.dedup.survivor_order=doc_id"], "gold.dedup.survivor_order items look like 'warc_date asc'"),
    ],
)
def test_every_dedup_check_happens_at_load_time(sets, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(sets=sets)


def test_good_values_load_and_the_config_is_frozen():
    cfg = load_config(sets=["gold.dedup.num_perm=128", "gold.dedup.bands=16", "gold.dedup.rows=8",
                            "gold.dedup.survivor_order=warc_date asc,doc_id asc"]).gold.dedup
    assert (cfg.num_perm, bands_rows(cfg), cfg.survivor_order) == (128, (16, 8), ("warc_date asc", "doc_id asc"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.num_perm = 64  # type: ignore[misc]
    assert load_config(sets=["gold.dedup.verify_threshold=0.5"]).gold.dedup.verify_threshold == 0.5


def test_one_config_reaches_minhash_lsh_and_components_as_is():
    """No second set of defaults: MinHasher() is the product's config, components' rounds are the config's."""
    cfg = DedupConfig(num_perm=64, seed=7, ngram=3, mode="datasketch", kind="char")
    assert MinHasher(cfg).cfg is cfg and MinHasher().cfg == DedupConfig()
    assert inspect.signature(components.connected_components).parameters["max_iter"].default == \
        DedupConfig().max_iterations
    assert DEDUP_KEY == "gold.dedup"


def test_dedup_stage_names_are_spelled_once():
    """The stage strings live in etl.gold.dedup; every other module of the package imports them."""
    spelled = {path.relative_to(ROOT).as_posix() for path in (ROOT / "etl").rglob("*.py")
               for stage in (dedup.STAGE_EXACT, dedup.STAGE_NEAR)
               if f'"{stage}"' in path.read_text(encoding="utf-8")}
    assert spelled == {"etl/gold/dedup.py"}
