from __future__ import annotations

from prometheus_client import Counter

from app.Contexts.Shared.Infrastructure.Grpc.Observability.Prometheus.MethodSeries import (
    MethodSeries,
)


class ClientMethodSeries:
    """One method's series of a ``GrpcClientMetricSet``: go-grpc-middleware's, then this library's.

    ``grpc`` is the method's ``MethodSeries`` of the ``grpc_client_*`` metrics;
    ``retries``, ``bulkhead_rejected`` and ``circuit_breaker_rejected`` its
    children of the library's own counters, under the same labels.
    """

    __slots__ = ("bulkhead_rejected", "circuit_breaker_rejected", "grpc", "retries")

    def __init__(
        self,
        grpc: MethodSeries,
        *,
        retries: Counter,
        bulkhead_rejected: Counter,
        circuit_breaker_rejected: Counter,
    ) -> None:
        self.grpc = grpc
        self.retries = retries.labels(*grpc.labels)
        self.bulkhead_rejected = bulkhead_rejected.labels(*grpc.labels)
        self.circuit_breaker_rejected = circuit_breaker_rejected.labels(*grpc.labels)
