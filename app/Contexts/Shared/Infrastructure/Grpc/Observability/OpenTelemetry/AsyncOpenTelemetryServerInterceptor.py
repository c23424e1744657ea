from __future__ import annotations

import grpc
import grpc.aio
from opentelemetry import trace
from opentelemetry.propagators.textmap import TextMapPropagator

from app.Contexts.Shared.Infrastructure.Grpc.Observability.OpenTelemetry.ServerTracing import (
    ServerTracing,
)
from app.Contexts.Shared.Infrastructure.Grpc.Server.AsyncHandlerWrappingInterceptor import (
    AsyncHandlerWrappingInterceptor,
)
from app.Contexts.Shared.Infrastructure.Grpc.Server.HandlerBehaviour import Handler


class AsyncOpenTelemetryServerInterceptor(AsyncHandlerWrappingInterceptor):
    """``OpenTelemetryServerInterceptor`` for a ``grpc.aio.server``, every kind of handler.

    ``grpc.aio.server(interceptors=[AsyncOpenTelemetryServerInterceptor()])``:
    a SERVER span per call, the caller's span its parent, current while the
    handler runs: coroutines, async generators and plain handlers alike (plain
    ones run on the server's thread pool, each step with the span current).
    ``tracer_provider`` and ``propagator`` as for the sync interceptor.
    """

    def __init__(
        self,
        *,
        tracer_provider: trace.TracerProvider | None = None,
        propagator: TextMapPropagator | None = None,
    ) -> None:
        self._tracing = ServerTracing(tracer_provider, propagator)

    def wrap(self, handler: Handler, details: grpc.HandlerCallDetails) -> Handler:
        return self._tracing.wrap(handler, details, aio=True)
