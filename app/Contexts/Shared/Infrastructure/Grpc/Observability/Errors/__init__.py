"""What the observability pieces raise (see ``GrpcObservabilityError`` for the tree)."""

from app.Contexts.Shared.Infrastructure.Grpc.Observability.Errors.GrpcObservabilityError import (
    GrpcObservabilityError,
)
from app.Contexts.Shared.Infrastructure.Grpc.Observability.Errors.InvalidOpenTelemetrySetup import (
    InvalidOpenTelemetrySetup,
)
from app.Contexts.Shared.Infrastructure.Grpc.Observability.Errors.InvalidPrometheusMetrics import (
    InvalidPrometheusMetrics,
)
from app.Contexts.Shared.Infrastructure.Grpc.Observability.Errors.PrometheusMetricsConflict import (
    PrometheusMetricsConflict,
)

__all__ = [
    "GrpcObservabilityError",
    "InvalidOpenTelemetrySetup",
    "InvalidPrometheusMetrics",
    "PrometheusMetricsConflict",
]
