"""Fixtures of the OpenTelemetry tests: an SDK of each test's own."""

from collections.abc import Iterator

import pytest

from tests.Support.Telemetry import Telemetry


@pytest.fixture
def telemetry() -> Iterator[Telemetry]:
    recorded = Telemetry()
    yield recorded
    recorded.shutdown()
