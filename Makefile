# Two commands do everything on a fresh machine: `make run` and `make test` (both set up first when needed).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
JARS := .cache/jars
DELTA_VERSION := 4.0.1
SCALA := 2.13
LAKE ?= lake
# hadoop-aws must equal pyspark's Hadoop client (pyspark/jars/hadoop-client-api-*.jar), and the AWS SDK bundle the
# one that hadoop-aws release declares. Fetched only by `make test-s3a` (the bundle is ~560 MB).
JARS_S3A := .cache/jars-s3a
HADOOP_AWS_VERSION := 3.4.1
AWS_SDK_BUNDLE_VERSION := 2.24.6
SAMPLE ?= data/sample
PYTEST_ARGS ?=

.PHONY: help setup setup-test setup-eval run run-arabic test test-slow test-cluster bench bench-scale bench-refresh eval model dist clean

help:  ## list targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  %-14s %s\n", $$1, $$2}'

setup: $(VENV)/.installed $(JARS)/.fetched  ## virtualenv with what `make run` needs (requirements.txt) + Delta jars, cached (idempotent)

setup-test: setup $(VENV)/.installed-test  ## setup + test tools and the oracles the tests compare with (requirements-test.txt, -eval.txt)

setup-eval: setup $(VENV)/.installed-eval  ## setup + evaluation tools (requirements-eval.txt)

$(VENV)/.installed: requirements.txt setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	# pyspark's find-spark-home runs whatever `python3` is on PATH, which is not the venv's unless it is activated:
	# point it at the venv's own interpreter so `.venv/bin/spark-submit` works from any shell.
	sed -i 's|PYSPARK_DRIVER_PYTHON="$${PYSPARK_PYTHON:-"python3"}"|PYSPARK_DRIVER_PYTHON="$${PYSPARK_PYTHON:-"$$(dirname "$$0")/python3"}"|' $(VENV)/bin/find-spark-home
	touch $@

# One resolver run over the files together, so an oracle (datatrove, spaCy, ...) never moves a package that
# requirements.txt pins. The tests import the evaluation oracles too, so this installs requirements-eval.txt as well.
$(VENV)/.installed-test: $(VENV)/.installed requirements-test.txt requirements-eval.txt
	$(PY) -m pip install -q -r requirements.txt -r requirements-test.txt -r requirements-eval.txt
	touch $@ $(VENV)/.installed-eval

$(VENV)/.installed-eval: $(VENV)/.installed requirements-eval.txt
	$(PY) -m pip install -q -r requirements.txt -r requirements-eval.txt
	touch $@

# Maven fetches the jars once; every later Spark start reads them from .cache/jars, so no network is needed.
$(JARS)/.fetched:
	mkdir -p $(JARS)
	for a in io.delta:delta-spark_$(SCALA):$(DELTA_VERSION) io.delta:delta-storage:$(DELTA_VERSION); do \
	  mvn -q -B dependency:copy -Dartifact=$$a -DoutputDirectory=$(JARS) || exit 1; done
	touch $@

# The Spark UI is on by default for jobs; this one-minute sample run is over before anyone would open it.
run: setup  ## the whole pipeline on the bundled real sample into ./lake (LAKE=dir for another), then the run report
	$(PY) jobs/refresh.py --input $(SAMPLE) --lake $(LAKE) --report reports/run --set spark.ui_enabled=false

# The generated Arabic set with planted answers (data/arabic_sample/PROVENANCE.md) under the Arabic preset, with the
# domain blocklist its blocklisted documents are on.
ARABIC_SAMPLE := data/arabic_sample
run-arabic: setup  ## the Arabic preset on the generated Arabic sample into ./lake-arabic, report in reports/arabic
	$(PY) jobs/refresh.py --input $(ARABIC_SAMPLE)/GENERATED-arabic-11-000.warc.wet.gz --lake lake-arabic \
	  --preset arabic --set silver.url_blocklist=$(ARABIC_SAMPLE)/GENERATED-arabic-11-blocklist.txt \
	  --report reports/arabic --set spark.ui_enabled=false

# --durations: the slowest tests are named at the end of every run, so a test that grows is seen at once.
# Two workers, each with its own SparkSession: much of a small Spark job is driver-side waiting (planning, Delta log
# reads, Python), so two overlap on 2 cores. TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 2
test: setup-test  ## the fast test suite (real Spark, real Delta; built lakes shared, see tests/conftest.py)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=25 $(PYTEST_ARGS)

test-slow: setup-test  ## the slow/large checks
	$(PY) -m pytest -m slow --durations=25 $(PYTEST_ARGS)

test-cluster: setup-test  ## spark-submit against a local standalone cluster (master + 2 workers on loopback)
	$(PY) -m pytest -m cluster -o addopts="-p no:cacheprovider --import-mode=importlib" tests/integration

.PHONY: test-connect test-s3a
test-connect: setup-test  ## the refresh through a Spark Connect server on loopback (serverless mode), compared with a classic run
	$(PY) -m pytest -m connect -o addopts="-p no:cacheprovider --import-mode=importlib" tests/integration/test_connect.py

$(JARS_S3A)/.fetched:
	mkdir -p $(JARS_S3A)
	for a in org.apache.hadoop:hadoop-aws:$(HADOOP_AWS_VERSION) software.amazon.awssdk:bundle:$(AWS_SDK_BUNDLE_VERSION); do \
	  mvn -q -B dependency:copy -Dartifact=$$a -DoutputDirectory=$(JARS_S3A) || exit 1; done
	touch $@

test-s3a: setup-test $(JARS_S3A)/.fetched  ## ingest from s3a:// on moto's S3 server on loopback, compared with a local read
	$(PY) -m pytest -m s3a -o addopts="-p no:cacheprovider --import-mode=importlib" tests/integration/test_s3a.py

.PHONY: lint
lint: setup-test  ## pyflakes over etl jobs bench evals tests, then the import graph (no cycles, layers import downward)
	$(PY) -m pyflakes etl jobs bench evals tests
	$(PY) -m pytest -q tests/test_imports.py

dist: setup  ## wheel + dist/etl.zip (ship the zip with --archives dist/etl.zip#etl_pkg, see etl/packaging.py)
	rm -rf build dist
	$(PY) -m pip wheel . --no-deps -w dist
	$(PY) -m etl.packaging dist/etl.zip

bench: setup-test  ## benchmarks -> reports/bench.json (ratios against peers measured in the same run)
	$(PY) -m bench.run

bench-refresh: setup-test  ## a fixed increment refreshed into lakes of 0, 10x and 100x its size -> reports/bench.json "refresh"
	$(PY) -m bench.run --only refresh

bench-scale: setup-test  ## dedup at 100k and 1M documents: the cost growth per document (~1 hour)
	$(PY) -m bench.run --scale

eval: setup-eval  ## quality parity, toxicity, langid and dedup evaluations -> reports/eval.json
	$(PY) -m evals.run

model: setup  ## rebuild the bundled models from ../shared/data (or $TOXICITY_DATA_ROOT): toxicity classifier, its five dimension models, the embedding toxicity model, topic/format labels -> etl/resources/
	$(PY) jobs/train_toxicity.py --recipe default --model-out etl/resources/toxicity_model --overwrite
	$(PY) jobs/train_toxicity_dimensions.py --model-out etl/resources/toxicity_dimensions_model --overwrite
	$(PY) jobs/train_toxicity_embedding.py --recipe default --model-out etl/resources/toxicity_embedding_model --overwrite
	$(PY) jobs/train_domains.py --recipe default --model-out etl/resources/domain_model --overwrite

clean:  ## remove generated lakes and reports (keeps the venv and jar cache)
	rm -rf $(LAKE) lake-arabic spark-warehouse reports/*.json reports/run reports/arabic
