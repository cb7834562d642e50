"""Common Crawl WET -> Delta Lake ETL: bronze (raw records), silver (signals), gold (decisions and dedup)."""

__version__ = "0.1.0"
