"""spark-submit / python entry point: labelled sets -> the saved embedding toxicity model. See --help."""

import os
import sys
from importlib.util import find_spec

# Installed, or shipped with --archives (see etl/packaging.py); else running from a checkout without installing.
if find_spec("etl") is None:
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from etl.cli.train_toxicity_embedding import train_embedding_main

if __name__ == "__main__":
    sys.exit(train_embedding_main())
