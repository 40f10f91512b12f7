"""Staging: parsed reports → long-form rows → Parquet files and one DuckDB database."""
