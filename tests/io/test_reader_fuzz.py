"""Mutation fuzz test of the WET reader: seeded mutants of eight real files, fastwarc + positions as the oracle.

Asserted per mutant: no intact record lost, no document whose text is no original record's, no damage without a
quarantine row, and no hang (an alarm per mutant). `make test` runs the first 300 seeds, `make test-slow` 3,000 more.
"""

from __future__ import annotations

import signal

import pytest

from tests.helpers.warc_fuzz import OPS, judge, make_mutant, read_mutant

FAST_SEEDS = range(300)
SLOW_SEEDS = range(300, 3300)
SECONDS_PER_MUTANT = 60  # a hang, not a speed target: the slowest mutant takes well under a second here


class Hang(Exception):
    pass


def _alarm(_signum, _frame):
    raise Hang()


def run_seeds(seeds, tmp_path) -> dict:
    failures, ops, intact = [], set(), 0
    old = signal.signal(signal.SIGALRM, _alarm)
    try:
        for seed in seeds:
            base, mutant = make_mutant(seed)
            signal.alarm(SECONDS_PER_MUTANT)
            try:
                out = judge(base, mutant, read_mutant(mutant, tmp_path))
            except Hang:
                failures.append(f"{mutant.name}: still reading after {SECONDS_PER_MUTANT} s")
                continue
            finally:
                signal.alarm(0)
            ops.add(mutant.name.rsplit(":", 1)[1])
            intact += out.intact_conversions
            if out.lost or out.spurious or out.silent:
                failures.append(f"{mutant.name}: lost={out.lost} spurious={out.spurious} silent={out.silent} "
                                f"status={out.status}")
    finally:
        signal.signal(signal.SIGALRM, old)
    return {"failures": failures, "ops": ops, "intact": intact}


def test_fuzz_fast_seeds_lose_nothing(tmp_path):
    result = run_seeds(FAST_SEEDS, tmp_path)
    assert result["failures"] == []
    assert result["ops"] == set(OPS)  # every fault class was drawn
    assert result["intact"] > 1000  # the oracle left plenty of records to lose


@pytest.mark.slow
def test_fuzz_slow_seeds_lose_nothing(tmp_path):
    result = run_seeds(SLOW_SEEDS, tmp_path)
    assert result["failures"] == []
