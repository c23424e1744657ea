from app.Contexts.Shared.Infrastructure.Grpc.Observability.Errors.GrpcObservabilityError import (
    GrpcObservabilityError,
)


class InvalidPrometheusMetrics(GrpcObservabilityError, ValueError):
    """Prometheus metrics asked for with an argument that cannot make them.

    A ``registry`` that is not a ``prometheus_client.CollectorRegistry``, a
    ``namespace`` that is not a metric-name prefix (``[a-zA-Z_][a-zA-Z0-9_]*``,
    or empty), or ``buckets`` that are not increasing numbers of seconds.
    """
