"""Hypothesis runs derandomized, so a CI run is the same run every time; bench/ explores further."""

import pytest
from hypothesis import settings

settings.register_profile("repeatable", derandomize=True, database=None, print_blob=True)
settings.load_profile("repeatable")


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory):
    """The whole pipeline, run once in-process on the bundled catalog: (data dir, run results)."""
    from orchestration.build import build
    from orchestration.layout import DEFAULT_CATALOG

    data = tmp_path_factory.mktemp("data")
    return data, build(data, DEFAULT_CATALOG)
