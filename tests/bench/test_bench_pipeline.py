"""bench/bench_pipeline.py on a tiny generated input: both sides (our Spark refresh, datatrove's pipeline) run and
report counts that agree with each other. Slow: a Spark session, two refreshes and five datatrove stages."""

from __future__ import annotations

import pytest

from bench import bench_pipeline

TINY_MB = 2.0  # 8 generated files of 0.25 MB uncompressed


@pytest.mark.slow
def test_both_sides_produce_documents_with_consistent_counts():
    result = bench_pipeline.run(pipeline_mb=TINY_MB, cores=2)
    ours, lean, theirs = result[bench_pipeline.OURS_WITH_SCORERS], result["ours_models_off"], result["datatrove"]
    assert result["data"].startswith("GENERATED")
    assert ours["documents_in"] == theirs["documents_in"] == result["documents_in"] > 0
    for side in (ours, theirs):
        assert 0 < side["documents_kept"] <= side["documents_after_filters"] <= side["documents_in"]
        assert side["documents_after_filters"] - side["documents_kept"] == side["near_duplicates"]
        assert side["peak_pss_mb"] > 0 and side["wall_s"] > 0
    # the same four rule families on the same text: the filters keep similar shares (not identical: C4's
    # paragraph splitting and the tokenizers differ in details, see evals/quality_parity.py)
    assert abs(ours["documents_after_filters"] - theirs["documents_after_filters"]) <= 0.2 * result["documents_in"]
    assert result["ratio_vs_datatrove"] > 0 and result["peak_memory_ratio"] > 0
    # the silver models add columns, not decisions: gold's four families keep the same documents either way
    assert (lean["documents_after_filters"], lean["documents_kept"]) == (
        ours["documents_after_filters"], ours["documents_kept"])


def test_the_models_off_side_really_turns_the_models_off(tmp_path):
    """A None override means "not given" (etl.config.load_config), which left the bundled model on once."""
    from etl.config import BUNDLED_TOXICITY_MODEL, toxicity_model_source

    assert toxicity_model_source(bench_pipeline.our_config(tmp_path, 2).silver.toxicity_model_path) is None
    scorers_on = bench_pipeline.our_config(tmp_path, 2, scorers=True).silver.toxicity_model_path
    assert toxicity_model_source(scorers_on) == BUNDLED_TOXICITY_MODEL
