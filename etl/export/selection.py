"""Which rows an export takes: --languages, --subset (a catalog subset's is_<name> flag) and --where (any Spark SQL
condition); a missing column or a bad condition is a usage error raised before anything is written."""

from __future__ import annotations

from pyspark.errors import AnalysisException, ParseException
from pyspark.sql import DataFrame, functions as F

from etl.catalog import SUBSETS_BY_NAME
from etl.export.options import ExportOptions, ExportUsageError

LANGUAGE_COLUMN = "language"


def select_rows(df: DataFrame, opts: ExportOptions) -> DataFrame:
    """The rows of ``opts.languages``, ``opts.subset`` and ``opts.where`` (Spark analyses the condition here)."""
    if opts.languages:
        if LANGUAGE_COLUMN not in df.columns:
            raise ExportUsageError(f"--languages: {opts.table} has no '{LANGUAGE_COLUMN}' column")
        df = df.where(F.col(LANGUAGE_COLUMN).isin(list(opts.languages)))
    if opts.subset is not None:
        column = SUBSETS_BY_NAME[opts.subset].column
        if column not in df.columns:
            raise ExportUsageError(f"--subset {opts.subset}: {opts.table} has no '{column}' column (gold/documents "
                                   f"written before subsets existed gains it on its next gold step, or rebuild gold)")
        df = df.where(F.col(column))
    if opts.where is not None:
        try:
            df = df.where(F.expr(opts.where))
            df.schema  # analyse now: an unknown column fails here, not mid-export
        except (AnalysisException, ParseException) as exc:
            raise ExportUsageError(f"--where {opts.where!r}: {str(exc).splitlines()[0]}") from None
    return df
