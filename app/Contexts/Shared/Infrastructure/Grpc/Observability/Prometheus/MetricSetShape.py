from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from prometheus_client.metrics_core import Metric


class MetricSetShape(Protocol):
    """What ``RegisteredMetricSets`` shares: a collector of metrics, with its histograms' buckets.

    ``GrpcMetricSet`` and ``GrpcClientMetricSet`` are ones; ``buckets`` are
    seconds, increasing, without the ``+Inf`` prometheus-client adds.
    """

    buckets: tuple[float, ...]

    def describe(self) -> Iterator[Metric]:
        """The metrics it will collect, for the registry's check of duplicate names."""

    def collect(self) -> Iterator[Metric]:
        """Its metrics now."""
