"""Every file the package ships, by name: where it lives under etl/resources (README "Licenses of bundled data").

Read through importlib.resources, so the same code reads them from a checkout, an installed wheel or the zip that
spark-submit ships (etl/packaging.py).
"""

from __future__ import annotations

import importlib.resources
from importlib.resources.abc import Traversable

RESOURCES = "resources"  # the folder inside the etl package
TOXICITY_MODEL = "toxicity_model"  # hashed n-gram classifier (docs/toxicity.md); rebuilt by `make model`
TOXICITY_DIMENSIONS_MODEL = "toxicity_dimensions_model"  # five dimension models (docs/toxicity.md)
TOXICITY_EMBEDDING_MODEL = "toxicity_embedding_model"  # logistic regression on multilingual USE embeddings
TOXICITY_LEXICON = "toxicity"  # per-language dimension lexicons
LDNOOBW = "ldnoobw"  # LDNOOBW word lists
LDNOOBW_ALLOW = "ldnoobw_allow"  # words that contain a listed word but are clean
URL_BANNED = "url_banned"  # RefinedWeb's URL word lists' allow-list
UT1 = "ut1"  # UT1 domain blocklists, per category
DOMAIN_MODEL = "domain_model"  # topic and format labeller (docs/labels.md)
DOMAIN_SEEDS = ("domains", "seeds")  # seed keywords per language
TOKENIZERS = "tokenizers"  # tokenizer files export counts tokens with
BENCHMARKS = "benchmarks"  # decontamination benchmarks (GSM8K test, HumanEval)
SAMPLE = "sample"  # the sample `make run` and the notebooks process (a link to data/sample in a checkout)
LOG4J_CONFIG = "log4j2.properties"  # Spark's log settings for jobs


def resource(*parts: str | tuple[str, ...]) -> Traversable:
    """A shipped file or folder: ``resource(LDNOOBW, "en")``; a tuple part is a path of several names."""
    names: list[str] = []
    for part in parts:
        names += list(part) if isinstance(part, tuple) else [part]
    return importlib.resources.files("etl").joinpath(RESOURCES, *names)
