"""The shipped zip: `etl` imported straight out of it (as `spark-submit --py-files` does) still finds its data files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

from etl.packaging import build_pyfiles_zip

# Runs in a fresh interpreter whose only copy of `etl` is the zip; prints what the data files yielded.
PROBE = """
import json, etl, etl.config as config, etl.silver.toxicity as tox, etl.silver.urls as urls
hard, soft = urls.banned_url_terms()
print(json.dumps({"etl_file": etl.__file__, "ldnoobw_languages": sorted(tox._ldnoobw_terms()),
                  "lexicon_languages": list(tox.lexicon_languages()), "hard": len(hard), "soft": len(soft),
                  "score": tox.score_document("you are a bitch", "en")["obscenity_hits"],
                  "model_thresholds": config.model_thresholds(config.BUNDLED_TOXICITY_MODEL)}))
"""
BUNDLED_MODEL_MAX_BYTES = 20 * 1024 * 1024  # issue 21: every shipped model together stays under 20 MB


def test_zip_is_deterministic_and_holds_the_data_files(tmp_path):
    first = build_pyfiles_zip(tmp_path / "a.zip")
    second = build_pyfiles_zip(tmp_path / "b.zip")
    assert first.read_bytes() == second.read_bytes()
    names = zipfile.ZipFile(first).namelist()
    assert "etl/silver/toxicity.py" in names and "etl/resources/ldnoobw/ATTRIBUTION.md" in names
    assert any(n.startswith("etl/resources/toxicity/") and n.endswith(".tsv") for n in names)


def test_resources_load_when_etl_is_imported_from_the_zip(tmp_path):
    import etl.silver.toxicity as tox
    import etl.silver.urls as urls

    package = build_pyfiles_zip(tmp_path / "etl.zip")
    env = {**os.environ, "PYTHONPATH": str(package)}
    # -I would also drop site-packages (pandas, numpy); -P keeps the working directory off sys.path instead
    out = subprocess.run([sys.executable, "-P", "-c", PROBE], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=120, check=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["etl_file"].startswith(str(package))  # really the zip, not the checkout
    assert got["ldnoobw_languages"] == sorted(tox._ldnoobw_terms())
    assert got["lexicon_languages"] == list(tox.lexicon_languages()) and got["lexicon_languages"]
    assert (got["hard"], got["soft"]) == tuple(len(t) for t in urls.banned_url_terms())
    assert got["score"] == tox.score_document("you are a bitch", "en")["obscenity_hits"] >= 1
    from etl.config import BUNDLED_TOXICITY_MODEL, model_thresholds

    assert got["model_thresholds"] == model_thresholds(BUNDLED_TOXICITY_MODEL) and got["model_thresholds"]["*"] > 0


def test_the_bundled_model_is_in_the_zip_and_small(tmp_path):
    from etl.bundled import TOXICITY_MODEL
    from etl.config import bundled_toxicity_model

    folder = f"etl/resources/{TOXICITY_MODEL}/"
    with zipfile.ZipFile(build_pyfiles_zip(tmp_path / "etl.zip")) as archive:
        shipped = {i.filename[len(folder):]: i.file_size for i in archive.infolist() if i.filename.startswith(folder)}
    on_disk = {p.relative_to(bundled_toxicity_model()).as_posix() for p in bundled_toxicity_model().rglob("*")
               if p.is_file()}
    assert set(shipped) == on_disk and any(name.endswith(".parquet") for name in shipped)
    from etl.bundled import TOXICITY_DIMENSIONS_MODEL
    from etl.models.dimension_model import DIMENSION_THRESHOLDS_FILE

    dimensions = f"etl/resources/{TOXICITY_DIMENSIONS_MODEL}/"
    with zipfile.ZipFile(build_pyfiles_zip(tmp_path / "etl.zip")) as archive:
        dimension_files = {i.filename[len(dimensions):]: i.file_size for i in archive.infolist()
                           if i.filename.startswith(dimensions)}
    assert DIMENSION_THRESHOLDS_FILE in dimension_files
    assert 0 < sum(shipped.values()) + sum(dimension_files.values()) < BUNDLED_MODEL_MAX_BYTES
