from __future__ import annotations

import grpc
from opentelemetry import trace
from opentelemetry.propagators.textmap import TextMapPropagator

from app.Contexts.Shared.Infrastructure.Grpc.Observability.OpenTelemetry.ServerTracing import (
    ServerTracing,
)
from app.Contexts.Shared.Infrastructure.Grpc.Server.HandlerBehaviour import Handler
from app.Contexts.Shared.Infrastructure.Grpc.Server.HandlerWrappingInterceptor import (
    HandlerWrappingInterceptor,
)


class OpenTelemetryServerInterceptor(HandlerWrappingInterceptor):
    """A SERVER span for every call of a ``grpc.server``, a child of the caller's propagated span.

    ``grpc.server(executor, interceptors=[OpenTelemetryServerInterceptor()])``:
    the caller's ``traceparent`` (and ``baggage``) are extracted by the
    propagator, so a chain A → B → C is one trace, and the handler runs with
    the span current, so the calls it makes are its children (``ServerTracing``).
    ``RequestContext``'s trace id is then the span's. ``tracer_provider`` and
    ``propagator`` default to the global ones; raises
    ``InvalidOpenTelemetrySetup`` for one of the wrong kind. A method the
    server does not know passes through, to be answered UNIMPLEMENTED.
    ``AsyncOpenTelemetryServerInterceptor`` is the same for ``grpc.aio.server``.
    """

    def __init__(
        self,
        *,
        tracer_provider: trace.TracerProvider | None = None,
        propagator: TextMapPropagator | None = None,
    ) -> None:
        self._tracing = ServerTracing(tracer_provider, propagator)

    def wrap(self, handler: Handler, details: grpc.HandlerCallDetails) -> Handler:
        return self._tracing.wrap(handler, details, aio=False)
