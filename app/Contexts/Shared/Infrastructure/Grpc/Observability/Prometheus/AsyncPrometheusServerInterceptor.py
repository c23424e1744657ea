from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

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
from app.Contexts.Shared.Infrastructure.Grpc.Server.HandlerBehaviour import Handler


class AsyncPrometheusServerInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[type-arg]  # generic only in the stubs
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

    async def intercept_service(  # type: ignore[override]  # the stubs forget an unknown method
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        return MeasuredHandler.wrap(handler, handler_call_details.method, self._metrics, aio=True)
