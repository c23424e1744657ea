from app.Contexts.Shared.Infrastructure.Grpc.Observability.Errors.GrpcObservabilityError import (
    GrpcObservabilityError,
)


class InvalidOpenTelemetrySetup(GrpcObservabilityError, ValueError):
    """OpenTelemetry tracing or metrics asked for with an argument that cannot provide them.

    A ``tracer_provider`` that is not an ``opentelemetry.trace.TracerProvider``,
    a ``meter_provider`` that is not an ``opentelemetry.metrics.MeterProvider``,
    or a ``propagator`` that is not an
    ``opentelemetry.propagators.textmap.TextMapPropagator``.
    """
