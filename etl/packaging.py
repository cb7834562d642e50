"""Package the `etl` code and its data files as one zip, to ship it to Spark executors that do not have it installed.

`build_pyfiles_zip(out)` writes `etl/**` (modules plus `etl/resources/**` and `etl/presets/*.toml`) into a zip
with `etl/` at its root, the layout both `spark-submit --py-files` and `--archives` expect.

Two ways to ship it. `--py-files dist/etl.zip` puts the zip itself on the executors' `sys.path` and Python imports
modules straight out of it (zipimport); the data files the executors need (toxicity lexicons, LDNOOBW lists) are
read through `importlib.resources`, which reads inside a zip as well (tests/test_packaging.py). Or ship the same zip
as an archive, which Spark unpacks into a real directory in each executor's working directory, and put that
directory on the Python workers' path (what `make test-cluster` does):

    spark-submit --archives dist/etl.zip#etl_pkg --conf spark.executorEnv.PYTHONPATH=etl_pkg ...

`archive_submit_args()` returns exactly these arguments. (A cluster whose nodes share the checkout can instead
set `spark.executorEnv.PYTHONPATH=/path/to/checkout`, and one whose Python has the wheel installed needs
neither.) The driver in client mode imports `etl` from the installed package or the checkout: jobs/*.py fall
back to the checkout next to them.
"""

from __future__ import annotations

import argparse
import os
import sys
import zipfile
from pathlib import Path

PACKAGE_NAME = "etl"
PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_ZIP = Path("dist") / f"{PACKAGE_NAME}.zip"
# The directory name executors unpack the archive into (the `#fragment` of `--archives`).
ARCHIVE_ALIAS = "etl_pkg"
# Build byproducts that executors never need and that would make the zip differ between machines.
SKIPPED_DIRS = frozenset({"__pycache__"})
SKIPPED_SUFFIXES = (".pyc", ".pyo")
# A fixed timestamp (the earliest a zip can hold) and mode make the zip byte-identical for identical sources.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644


def package_files(package_dir: Path = PACKAGE_DIR) -> list[Path]:
    """Every file of the package that belongs in the zip, sorted so that the zip's order is stable."""
    files = []
    for path in package_dir.rglob("*"):
        relative = path.relative_to(package_dir)
        if not path.is_file() or SKIPPED_DIRS.intersection(relative.parts) or path.suffix in SKIPPED_SUFFIXES:
            continue
        files.append(path)
    return sorted(files, key=lambda p: p.relative_to(package_dir).as_posix())


def build_pyfiles_zip(out_path: str | os.PathLike = DEFAULT_ZIP, package_dir: Path = PACKAGE_DIR) -> Path:
    """Write the package (code and data files) to `out_path` as a zip with `etl/` at its root; return the path.

    Written to a temporary name and renamed, so a concurrent spark-submit never picks up a half-written zip.
    """
    out = Path(out_path).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in package_files(package_dir):
            name = f"{PACKAGE_NAME}/{path.relative_to(package_dir).as_posix()}"
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.external_attr = FILE_MODE << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    partial.replace(out)
    return out


def archive_submit_args(zip_path: str | os.PathLike, alias: str = ARCHIVE_ALIAS) -> list[str]:
    """spark-submit arguments that unpack the zip on every executor and put it on the Python workers' path."""
    return ["--archives", f"{Path(zip_path).resolve()}#{alias}",
            "--conf", f"spark.executorEnv.PYTHONPATH={alias}"]


def main(argv: list[str] | None = None) -> int:
    """`python -m etl.packaging [OUT]`: build the zip and print how to ship it."""
    parser = argparse.ArgumentParser(prog="python -m etl.packaging", description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default=str(DEFAULT_ZIP), help=f"zip to write (default {DEFAULT_ZIP})")
    args = parser.parse_args(argv)
    out = build_pyfiles_zip(args.out)
    print(f"wrote {out} ({len(package_files())} files)")
    print("ship with: spark-submit " + " ".join(archive_submit_args(out)) + " ...")
    return 0


if __name__ == "__main__":
    sys.exit(main())
