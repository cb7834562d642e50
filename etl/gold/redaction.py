"""Personal data out of gold's text: silver counted it (pii_* columns), gold rewrites the documents that have any.

gold.pii = "redact" (the default) and "drop" rewrite the text with etl.silver.pii.redact (placeholders per kind,
docs/pii.md); "drop" has also dropped documents above gold.max_pii_count by then (rule pii:too_many); "off" keeps
the text as crawled. Only rows whose stored count is above zero, or unknown (rows scored before the counts
existed), cross into Python; the rest pass through untouched.
"""

from __future__ import annotations

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F, types as T

from etl.config import PII_OFF
from etl.silver.pii import redact

PII_TOTAL = "pii_total"


def _redact(texts: pd.Series) -> pd.Series:
    return texts.map(lambda t: redact(t) if isinstance(t, str) else t)


def redact_text(df: DataFrame, mode: str) -> DataFrame:
    """``df`` (with ``text`` and ``pii_total``) with personal data in ``text`` replaced, unless ``mode`` is off."""
    if mode == PII_OFF:
        return df
    needs = F.col(PII_TOTAL).isNull() | (F.col(PII_TOTAL) > 0)
    udf = F.pandas_udf(_redact, T.StringType())  # made per call: the session decides classic or Connect
    return df.where(needs).withColumn("text", udf("text")).unionByName(df.where(~needs))
