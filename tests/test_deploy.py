"""deploy/databricks.yml checked offline against what the bundle schema expects (no Databricks CLI needed): the
targets, variables, run_as and permissions a platform team asks for, both compute variants, and wheel paths that
match the wheel setup.cfg builds."""

from __future__ import annotations

import configparser
import json
import re
from pathlib import Path

import pytest
import yaml

import etl
from etl.cli import JOBS

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ROOT / "deploy" / "databricks.yml"
JOB_JSON = ROOT / "deploy" / "job.json"
VAR_REF = re.compile(r"\$\{var\.([A-Za-z0-9_]+)\}")
ACCESS_MODES = {"SINGLE_USER", "USER_ISOLATION"}
REQUIRED_VARIABLES = {"catalog", "schema", "lake_volume", "wet_input", "service_principal"}


@pytest.fixture(scope="module")
def bundle() -> dict:
    return yaml.safe_load(BUNDLE.read_text())


def setup_cfg() -> configparser.ConfigParser:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    return cfg


def wheel_name() -> str:
    """The file `pip wheel .` writes: the normalised project name and etl.__version__ (setup.cfg reads it there)."""
    cfg = setup_cfg()
    assert cfg["metadata"]["version"] == "attr: etl.__version__"
    name = re.sub(r"[-_.]+", "_", cfg["metadata"]["name"])
    return f"{name}-{etl.__version__}-py3-none-any.whl"


def jobs(bundle: dict) -> dict[str, dict]:
    return bundle["resources"]["jobs"]


def tasks(bundle: dict):
    for job_name, job in jobs(bundle).items():
        for task in job["tasks"]:
            yield job_name, job, task


def test_targets_variables_run_as_and_permissions(bundle):
    assert set(bundle["targets"]) == {"dev", "prod"}
    assert bundle["targets"]["dev"]["mode"] == "development" and bundle["targets"]["dev"]["default"] is True
    prod = bundle["targets"]["prod"]
    assert prod["mode"] == "production"
    assert prod["run_as"] == {"service_principal_name": "${var.service_principal}"}
    assert REQUIRED_VARIABLES <= set(bundle["variables"])
    assert all("description" in v for k, v in bundle["variables"].items() if k in REQUIRED_VARIABLES)
    assert "default" not in bundle["variables"]["service_principal"]  # prod must be told which one
    levels = {p["level"] for p in bundle["permissions"]}
    assert {"CAN_VIEW", "CAN_RUN", "CAN_MANAGE"} <= levels
    for p in bundle["permissions"] + prod["permissions"]:
        assert len({"user_name", "group_name", "service_principal_name"} & set(p)) == 1, p


def test_every_variable_used_is_declared(bundle):
    used = set(VAR_REF.findall(BUNDLE.read_text()))
    assert used <= set(bundle["variables"]), used - set(bundle["variables"])
    for target in bundle["targets"].values():
        assert set(target.get("variables", {})) <= set(bundle["variables"])


def test_cluster_and_serverless_variants(bundle):
    clusters = [c for job in jobs(bundle).values() for c in job.get("job_clusters", [])]
    assert clusters and all(c["new_cluster"]["data_security_mode"] in ACCESS_MODES for c in clusters)
    serverless = [job for job in jobs(bundle).values() if "environments" in job]
    assert serverless
    for job in serverless:
        keys = {env["environment_key"] for env in job["environments"]}
        for env in job["environments"]:
            spec = env["spec"]
            assert ("environment_version" in spec) != ("client" in spec)  # one of the two, as the API requires
            assert spec["dependencies"]
        assert all(task["environment_key"] in keys and "job_cluster_key" not in task for task in job["tasks"])
    cluster_keys = {c["job_cluster_key"] for c in clusters}
    for _, job, task in tasks(bundle):
        assert ("environment_key" in task) != ("job_cluster_key" in task), task["task_key"]
        if "job_cluster_key" in task:
            assert task["job_cluster_key"] in cluster_keys
    scheduled = [job for job in jobs(bundle).values() if job.get("schedule", {}).get("pause_status") == "UNPAUSED"]
    assert len(scheduled) == 1  # one nightly refresh, not two fighting over the lake


def test_wheel_paths_and_entry_point_match_the_package(bundle):
    cfg = setup_cfg()
    expected = f"../dist/{wheel_name()}"
    entry_points = cfg["options.entry_points"]["console_scripts"]
    for job_name, job, task in tasks(bundle):
        wheel_task = task["python_wheel_task"]
        assert wheel_task["package_name"] == cfg["metadata"]["name"], job_name
        assert re.search(rf"^\s*{re.escape(wheel_task['entry_point'])}\s*=", entry_points, re.MULTILINE), job_name
        assert wheel_task["parameters"][0] in JOBS, job_name
        if "environment_key" in task:
            env = next(e for e in job["environments"] if e["environment_key"] == task["environment_key"])
            wheels = [d for d in env["spec"]["dependencies"] if d.endswith(".whl")]
        else:
            wheels = [lib["whl"] for lib in task["libraries"] if "whl" in lib]
        assert wheels == [expected], job_name
    assert bundle["artifacts"]["cc_etl_wheel"]["type"] == "whl"
    job = json.loads(JOB_JSON.read_text())
    assert [Path(lib["whl"]).name for t in job["tasks"] for lib in t["libraries"]] == [wheel_name()]
    assert all(c["new_cluster"]["data_security_mode"] in ACCESS_MODES for c in job["job_clusters"])


def test_jobs_parse_with_the_bundle_models(bundle):
    """With the `databricks-bundles` package (the bundle schema as Python dataclasses) installed, every job must
    load into its Job model: an unknown or misspelt key fails here as it would in `databricks bundle validate`."""
    models = pytest.importorskip("databricks.bundles.jobs")
    for name, job in jobs(bundle).items():
        models.Job.from_dict(job)
        for task in job["tasks"]:
            models.Task.from_dict(task)
