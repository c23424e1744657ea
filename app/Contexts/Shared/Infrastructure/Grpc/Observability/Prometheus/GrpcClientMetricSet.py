from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import Counter
from prometheus_client.metrics_core import Metric

from app.Contexts.Shared.Infrastructure.Grpc.Observability.Prometheus.ClientMethodSeries import (
    ClientMethodSeries,
)
from app.Contexts.Shared.Infrastructure.Grpc.Observability.Prometheus.GrpcClientGauges import (
    GrpcClientGauges,
)
from app.Contexts.Shared.Infrastructure.Grpc.Observability.Prometheus.GrpcMetricSet import (
    GrpcMetricSet,
)


class GrpcClientMetricSet:
    """The client's metrics: go-grpc-middleware's ``grpc_client_*`` set and this library's own.

    ``grpc`` is the ``GrpcMetricSet`` of the client side. This library's
    counters follow its naming and labels (``grpc_type``, ``grpc_service``,
    ``grpc_method``):

    - ``grpc_client_retries_total``: attempts sent again after a failed one
      (a call that took 3 attempts adds 2);
    - ``grpc_client_bulkhead_rejected_total``: calls the client's bulkhead
      refused, never sent (answered RESOURCE_EXHAUSTED);
    - ``grpc_client_circuit_breaker_rejected_total``: calls an open circuit
      refused, never sent (answered UNAVAILABLE).

    And ``gauges``, a ``GrpcClientGauges`` read from the clients themselves at
    each scrape: ``grpc_client_circuit_breaker_state`` and
    ``grpc_client_bulkhead_in_flight``, labelled by ``grpc_target``.

    Registered as one collector with the ``grpc`` set, by ``RegisteredMetricSets``.
    """

    def __init__(self, namespace: str, buckets: tuple[float, ...]) -> None:
        self.grpc = GrpcMetricSet("client", namespace, buckets)
        self.buckets = buckets
        self.retries = GrpcMetricSet.counter(
            "grpc_client_retries_total",
            "Total number of RPC attempts the client sent again after a failed one.",
            namespace,
        )
        self.bulkhead_rejected = GrpcMetricSet.counter(
            "grpc_client_bulkhead_rejected_total",
            "Total number of RPCs the client's bulkhead refused, never sent.",
            namespace,
        )
        self.circuit_breaker_rejected = GrpcMetricSet.counter(
            "grpc_client_circuit_breaker_rejected_total",
            "Total number of RPCs an open circuit breaker refused, never sent.",
            namespace,
        )
        self.gauges = GrpcClientGauges(namespace)
        self._series: dict[str, ClientMethodSeries] = {}

    def series(self, path: str, kind: str) -> ClientMethodSeries:
        """The series of the method at ``path`` (``/package.Service/Method``), of call ``kind``."""
        found = self._series.get(path)
        if found is None:
            made = ClientMethodSeries(
                self.grpc.series(path, kind),
                retries=self.retries,
                bulkhead_rejected=self.bulkhead_rejected,
                circuit_breaker_rejected=self.circuit_breaker_rejected,
            )
            found = self._series.setdefault(path, made)
        return found

    def describe(self) -> Iterator[Metric]:
        yield from self.grpc.describe()
        for metric in self._own():
            yield from metric.describe()
        yield from self.gauges.describe()

    def collect(self) -> Iterator[Metric]:
        yield from self.grpc.collect()
        for metric in self._own():
            yield from metric.collect()
        yield from self.gauges.collect()

    def _own(self) -> tuple[Counter, ...]:
        return (self.retries, self.bulkhead_rejected, self.circuit_breaker_rejected)
