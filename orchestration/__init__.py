"""ogi-reports: fetch, parse, check, model and publish disclosure annual reports."""
