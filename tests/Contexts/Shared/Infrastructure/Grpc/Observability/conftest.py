"""Fixtures of the observability tests: a registry of their own, and both client APIs."""

import pytest
from prometheus_client import CollectorRegistry

from tests.Support.StreamSide import StreamSide


@pytest.fixture
def registry() -> CollectorRegistry:
    """A real prometheus registry per test, so no count leaks from one test into another."""
    return CollectorRegistry()


@pytest.fixture(params=["sync", "async"])
def stream_side(request: pytest.FixtureRequest) -> StreamSide:
    """Runs a test once through ``call``/``stream`` and once through their async twins."""
    return StreamSide(request.param)
