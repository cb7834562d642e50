"""The S3A route: WET files in an S3 bucket read by Spark through hadoop-aws (`ingest.read_with_spark=true`), with
the lake in the same bucket, against moto's S3 server started on loopback with fake credentials.

Oracle: the same files ingested from the local disk by the Python reader into a local lake, in a separate process
afterwards (never two Spark JVMs at once): bronze rows and quarantine must be equal, only source_file differs.

Needs the hadoop-aws jar matching pyspark's Hadoop client and the AWS SDK bundle it declares: `make test-s3a`
fetches both into .cache/jars-s3a (once; ~560 MB) and runs this file.
"""

from __future__ import annotations

import glob
from pathlib import Path

import pytest

from tests.helpers.pipeline_run import parse_stats
from tests.helpers.spark_procs import LOOPBACK, PIPELINE_RUN, base_env, free_port, run_python

pytestmark = pytest.mark.s3a

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
S3A_JARS = ROOT / ".cache" / "jars-s3a"
# A clean file and a truncated download (its last record goes to quarantine).
INPUT_FILES = ("CC-MAIN-2024-22-whirlwind.warc.wet.gz", "CC-MAIN-2016-50-truncated-download.wet.gz")
BUCKET = "cc-test-bucket"
PREFIX = "crawl/CC-MAIN-2024-22"
REGION = "us-east-1"
# moto accepts any key pair; these are the placeholder values AWS documents for examples.
FAKE_ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
FAKE_SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
RUN_TIMEOUT_S = 900
LOG_TAIL_CHARS = 4000


def _s3a_jars() -> list[str]:
    jars = sorted(glob.glob(str(S3A_JARS / "hadoop-aws-*.jar")) + glob.glob(str(S3A_JARS / "bundle-*.jar")))
    if len(jars) < 2:
        pytest.skip("hadoop-aws and the AWS SDK bundle are not in .cache/jars-s3a: run `make test-s3a`")
    return jars


@pytest.fixture(scope="module")
def s3_endpoint():
    """moto's S3 server on a free loopback port, with the bucket and the sample files uploaded."""
    import boto3
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address=LOOPBACK, port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://{LOOPBACK}:{port}"
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name=REGION, aws_access_key_id=FAKE_ACCESS_KEY,
                          aws_secret_access_key=FAKE_SECRET_KEY)
        s3.create_bucket(Bucket=BUCKET)
        for name in INPUT_FILES:
            s3.upload_file(str(SAMPLE / name), BUCKET, f"{PREFIX}/{name}")
        yield endpoint
    finally:
        server.stop()


def _s3a_conf(endpoint: str, jars: list[str]) -> list[str]:
    """What a user on AWS sets too (keys, or an instance profile instead), plus the loopback endpoint settings."""
    conf = {
        "spark.driver.extraClassPath": ":".join(jars),  # local mode: the driver JVM is also the executor
        "spark.hadoop.fs.s3a.endpoint": endpoint,
        "spark.hadoop.fs.s3a.endpoint.region": REGION,
        "spark.hadoop.fs.s3a.path.style.access": "true",
        "spark.hadoop.fs.s3a.connection.ssl.enabled": "false",
        "spark.hadoop.fs.s3a.aws.credentials.provider": "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
        "spark.hadoop.fs.s3a.access.key": FAKE_ACCESS_KEY,
        "spark.hadoop.fs.s3a.secret.key": FAKE_SECRET_KEY,
    }
    return [arg for key, value in conf.items() for arg in ("--conf", f"{key}={value}")]


def test_s3a_ingest_matches_a_local_read(s3_endpoint, tmp_path):
    jars = _s3a_jars()
    env = base_env(tmp_path)
    # One file by name, the rest by a glob that hadoop-aws expands (ingest.read_with_spark lists s3a:// too).
    s3a_inputs = [f"s3a://{BUCKET}/{PREFIX}/{INPUT_FILES[0]}", f"s3a://{BUCKET}/{PREFIX}/*.wet.gz"]
    code, out, seconds = run_python(
        [str(PIPELINE_RUN), "--ingest-only", "--lake", f"s3a://{BUCKET}/lake", "--input", *s3a_inputs,
         "--set", "ingest.read_with_spark=true", *_s3a_conf(s3_endpoint, jars)],
        env, tmp_path / "s3a.log", RUN_TIMEOUT_S)
    assert code == 0, out[-LOG_TAIL_CHARS:]
    print(f"ingest from s3a:// into an s3a:// lake: {seconds:.0f}s")
    remote = parse_stats(out)

    code, out, _ = run_python(
        [str(PIPELINE_RUN), "--ingest-only", "--lake", str(tmp_path / "local_lake"),
         "--input", *[str(SAMPLE / name) for name in INPUT_FILES]],
        env, tmp_path / "local.log", RUN_TIMEOUT_S)
    assert code == 0, out[-LOG_TAIL_CHARS:]
    local = parse_stats(out)

    assert local["bronze_rows"] > 0 and local["quarantine_reasons"].get("truncated_record") == 1
    for key in ("bronze_rows", "bronze_digest", "quarantine_rows", "quarantine_reasons", "quarantine_digest"):
        assert remote[key] == local[key], key
    assert remote["ingest_log_rows"] == len(INPUT_FILES)
