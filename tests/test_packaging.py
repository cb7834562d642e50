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
import json, etl, etl.silver.toxicity as tox, etl.silver.urls as urls
hard, soft = urls.banned_url_terms()
print(json.dumps({"etl_file": etl.__file__, "ldnoobw_languages": sorted(tox._ldnoobw_terms()),
                  "lexicon_languages": list(tox.lexicon_languages()), "hard": len(hard), "soft": len(soft),
                  "score": tox.score_document("you are a bitch", "en")["obscenity_hits"]}))
"""


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
