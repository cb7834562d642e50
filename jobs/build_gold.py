"""spark-submit / python entry point: build_gold. See --help."""

import os
import sys

try:
    import etl  # noqa: F401  (installed, or shipped with --archives: see etl/packaging.py)
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from etl.jobs import gold_main

if __name__ == "__main__":
    sys.exit(gold_main())
