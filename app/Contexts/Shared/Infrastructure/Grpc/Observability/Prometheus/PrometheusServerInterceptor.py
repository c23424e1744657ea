from __future__ import annotations

from collections.abc import Sequence

import grpc
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
from app.Contexts.Shared.Infrastructure.Grpc.Server.HandlerWrappingInterceptor import (
    HandlerWrappingInterceptor,
)


class PrometheusServerInterceptor(HandlerWrappingInterceptor):
    """go-grpc-middleware's Prometheus server metrics for a ``grpc.server``, every call kind.

    ``grpc.server(executor, interceptors=[PrometheusServerInterceptor()])``
    counts, per method, ``grpc_server_started_total``,
    ``grpc_server_handled_total`` (with ``grpc_code``, Go's spelling, of the
    status the handler ended with: an abort's code, UNKNOWN for an exception,
    CANCELLED or DEADLINE_EXCEEDED for a call grpc stopped),
    ``grpc_server_msg_received_total`` and ``grpc_server_msg_sent_total`` (every
    message, streamed ones one by one) and ``grpc_server_handling_seconds`` (a
    histogram of seconds), labelled ``grpc_type``, ``grpc_service`` and
    ``grpc_method`` as go-grpc-middleware's ``providers/prometheus`` labels them
    (``MeasuredHandler``). A method the server does not know passes through
    uncounted, to be answered UNIMPLEMENTED.

    ``registry``, ``namespace`` and ``buckets`` (seconds) as for
    ``PrometheusClientMetrics``: interceptors asking for the same registry and
    namespace share one set of metrics. Raises ``InvalidPrometheusMetrics`` and
    ``PrometheusMetricsConflict`` (``RegisteredMetricSets``).
    ``AsyncPrometheusServerInterceptor`` is the same for ``grpc.aio.server``.
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
        return MeasuredHandler.wrap(handler, details.method, self._metrics, aio=False)
