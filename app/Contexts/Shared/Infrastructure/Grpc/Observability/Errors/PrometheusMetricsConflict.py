from app.Contexts.Shared.Infrastructure.Grpc.Observability.Errors.GrpcObservabilityError import (
    GrpcObservabilityError,
)


class PrometheusMetricsConflict(GrpcObservabilityError, ValueError):
    """The registry already holds these metric names, in a shape that cannot be shared.

    The same metrics asked for again (a second client, stage or interceptor,
    a reloaded module) are shared, never registered twice; this is raised
    instead when they were made with other buckets, or when something else
    (py-grpc-prometheus, say) registered the same names. Use another registry
    or namespace.
    """
