"""OpenTelemetry for the client and the servers: spans, propagation, ``rpc.client.call.duration``.

Needs opentelemetry-api, the ``otel`` extra (``pip install grpc-request-client[otel]``);
an SDK (opentelemetry-sdk) and an exporter are the service's choice, configured once
at start-up as OpenTelemetry's documentation says. ``OpenTelemetryClientStage`` is a
call stage; ``OpenTelemetryServerInterceptor`` and ``AsyncOpenTelemetryServerInterceptor``
trace what a server serves.
"""

from app.Contexts.Shared.Infrastructure.Grpc.Observability.OpenTelemetry.AsyncOpenTelemetryServerInterceptor import (  # noqa: E501
    AsyncOpenTelemetryServerInterceptor,
)
from app.Contexts.Shared.Infrastructure.Grpc.Observability.OpenTelemetry.OpenTelemetryClientStage import (  # noqa: E501
    OpenTelemetryClientStage,
)
from app.Contexts.Shared.Infrastructure.Grpc.Observability.OpenTelemetry.OpenTelemetryServerInterceptor import (  # noqa: E501
    OpenTelemetryServerInterceptor,
)
from app.Contexts.Shared.Infrastructure.Grpc.Observability.OpenTelemetry.RpcSemanticConventions import (  # noqa: E501
    ADVISED_BUCKETS,
)

__all__ = [
    "ADVISED_BUCKETS",
    "AsyncOpenTelemetryServerInterceptor",
    "OpenTelemetryClientStage",
    "OpenTelemetryServerInterceptor",
]
