"""The silver bench's model part runs end to end at a tiny size: silver with the shipped toxicity model off and on."""

from __future__ import annotations

import pytest

from bench import bench_silver

TINY_DOCS = 6


@pytest.mark.slow
def test_model_on_off_times_silver_with_the_model_off_and_on(spark):
    frame = bench_silver.wet_frame([bench_silver.SAMPLE]).head(TINY_DOCS)
    out = bench_silver.model_on_off(frame)
    assert out["docs"] == TINY_DOCS
    assert out["silver_frame_ms_per_doc_model_on"] > 0 and out["silver_frame_ms_per_doc_model_off"] > 0
