"""spark-submit / python entry point: a lake table -> JSONL/Parquet shards + manifest. See --help."""

import os
import sys

try:
    import etl  # noqa: F401  (installed, or shipped with --archives: see etl/packaging.py)
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from etl.jobs_export import export_main

if __name__ == "__main__":
    sys.exit(export_main())
