"""spark-submit / python entry point: WET files -> bronze Delta tables. See --help."""

import os
import sys

try:
    import etl  # noqa: F401  (installed, or shipped with --archives: see etl/packaging.py)
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from etl.jobs import ingest_main

if __name__ == "__main__":
    sys.exit(ingest_main())
