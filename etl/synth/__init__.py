"""GENERATED test and benchmark data made from real text (no Spark): what bench/ and evals/ both import."""
