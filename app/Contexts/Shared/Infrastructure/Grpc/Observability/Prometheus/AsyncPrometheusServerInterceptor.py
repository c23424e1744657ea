from __future__ import annotations

from collections.abc import Sequence

import grpc
import grpc.aio
from prometheus_client import REGISTRY, CollectorRegistry

from app.Contexts.Shared.Infrastructure.Grpc.Observability.Prometheus.GrpcMetricSet import (
    GO_DEFAULT_BUCKETS,
)
from app.Contexts.Shared.Infrastructure.Grpc.Observability.Prometheus.MeasuredHandler import (
    MeasuredHandler,
)
from app.Contexts.Shared.Infrastructure.Grpc.Observability.Prometheus.RegisteredMetricSets import (
    RegisteredMetricSets,
)
from app.Contexts.Shared.Infrastructure.Grpc.Server.AsyncHandlerWrappingInterceptor import (
    AsyncHandlerWrappingInterceptor,
)
from app.Contexts.Shared.Infrastructure.Grpc.Server.HandlerBehaviour import Handler


class AsyncPrometheusServerInterceptor(AsyncHandlerWrappingInterceptor):
    """``PrometheusServerInterceptor`` for ``grpc.aio.server(interceptors=[...])``.

    The same metrics, labels and arguments; coroutine, async-generator and
    plain handlers alike (plain ones run on the server's thread pool). A
    handler grpc.aio cancels (the client went away, the deadline passed) is
    handled as CANCELLED or DEADLINE_EXCEEDED.
    """

    def __init__(
        self,
        registry: CollectorRegistry = REGISTRY,
        *,
        namespace: str = "",
        buckets: Sequence[float] = GO_DEFAULT_BUCKETS,
    ) -> None:
        self._metrics = RegisteredMetricSets.server(registry, namespace, buckets)

    def wrap(self, handler: Handler, details: grpc.HandlerCallDetails) -> Handler:
        return MeasuredHandler.wrap(handler, details.method, self._metrics, aio=True)
