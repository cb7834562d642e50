"""The privacy bench part runs end to end at a tiny size and finds every planted GSM8K copy."""

from __future__ import annotations

import pytest

from bench import bench_privacy


def test_pii_cost_reports_per_document_figures():
    out = bench_privacy.pii_cost(50)
    assert out["documents"] == 50 and out["count_us_per_doc"] > 0


@pytest.mark.slow
def test_decontamination_join_finds_every_planted_copy(spark):
    out = bench_privacy.decontamination_join(3 * bench_privacy.PLANT_EVERY, spark)
    assert out["planted"] == 3 and out["recall_planted"] == 1.0
