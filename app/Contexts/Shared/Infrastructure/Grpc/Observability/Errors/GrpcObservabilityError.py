"""Root of what the observability pieces raise: a mistake in how they were set up.

Raised when a stage or an interceptor is made, never from a call::

    Exception
    └── GrpcObservabilityError
        ├── InvalidOpenTelemetrySetup (ValueError)   a provider or propagator of the wrong kind
        ├── InvalidPrometheusMetrics (ValueError)    a registry, namespace or buckets unusable
        └── PrometheusMetricsConflict (ValueError)   the registry holds these names otherwise
"""


class GrpcObservabilityError(Exception):
    """Base class, so a service's setup can catch every such mistake in one clause."""
