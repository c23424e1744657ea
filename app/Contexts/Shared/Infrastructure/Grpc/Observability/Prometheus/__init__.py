"""Prometheus metrics of gRPC calls, client and server side, as go-grpc-middleware names them.

Needs prometheus-client (the ``prometheus`` extra); the client itself does not.
``PrometheusClientMetrics`` is a call stage (``GrpcClient(target,
stages=[PrometheusClientMetrics()])``); ``PrometheusServerInterceptor`` and
``AsyncPrometheusServerInterceptor`` serve ``grpc.server`` and ``grpc.aio.server``.
Anything not listed in ``__all__`` is internal. docs/observability.md has the rest.
"""

from app.Contexts.Shared.Infrastructure.Grpc.Observability.Prometheus.AsyncPrometheusServerInterceptor import (  # noqa: E501
    AsyncPrometheusServerInterceptor,
)
from app.Contexts.Shared.Infrastructure.Grpc.Observability.Prometheus.GrpcMetricSet import (
    GO_DEFAULT_BUCKETS,
)
from app.Contexts.Shared.Infrastructure.Grpc.Observability.Prometheus.PrometheusClientMetrics import (  # noqa: E501
    PrometheusClientMetrics,
)
from app.Contexts.Shared.Infrastructure.Grpc.Observability.Prometheus.PrometheusServerInterceptor import (  # noqa: E501
    PrometheusServerInterceptor,
)

__all__ = [
    "GO_DEFAULT_BUCKETS",
    "AsyncPrometheusServerInterceptor",
    "PrometheusClientMetrics",
    "PrometheusServerInterceptor",
]
