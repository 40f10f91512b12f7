"""Hypothesis runs derandomized, so a CI run is the same run every time; bench/ explores further."""

from hypothesis import settings

settings.register_profile("repeatable", derandomize=True, database=None, print_blob=True)
settings.load_profile("repeatable")
