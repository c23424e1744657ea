from __future__ import annotations

from typing import Any

import grpc
from opentelemetry import propagate, trace
from opentelemetry.propagators.textmap import TextMapPropagator
from opentelemetry.trace import SpanKind

from app.Contexts.Shared.Infrastructure.Grpc.Client.Metadata.OutgoingMetadata import TRACE_ID_KEY
from app.Contexts.Shared.Infrastructure.Grpc.Observability.OpenTelemetry.ActiveSpanIds import (
    ActiveSpanIds,
)
from app.Contexts.Shared.Infrastructure.Grpc.Observability.OpenTelemetry.MetadataGetter import (
    MetadataGetter,
)
from app.Contexts.Shared.Infrastructure.Grpc.Observability.OpenTelemetry.OpenTelemetrySetup import (
    OpenTelemetrySetup,
)
from app.Contexts.Shared.Infrastructure.Grpc.Observability.OpenTelemetry.RpcSemanticConventions import (  # noqa: E501
    Attributes,
    RpcSemanticConventions,
)
from app.Contexts.Shared.Infrastructure.Grpc.Observability.OpenTelemetry.ServerCallSpan import (
    ServerCallSpan,
)
from app.Contexts.Shared.Infrastructure.Grpc.Observability.OpenTelemetry.TraceIdParent import (
    TraceIdParent,
)
from app.Contexts.Shared.Infrastructure.Grpc.Server.HandlerBehaviour import Handler
from app.Contexts.Shared.Infrastructure.Grpc.Server.ObservedHandler import ObservedHandler

_GETTER = MetadataGetter()
_SERVER = SpanKind.SERVER


class ServerTracing:
    """What both OpenTelemetry server interceptors share: a SERVER span per call, with its parent.

    The propagator (the global one unless given: ``tracecontext,baggage``)
    extracts the caller's context from the call's metadata, so a chain of
    services is one trace (a caller that sent only a W3C ``x-trace-id`` is taken
    as a remote parent of that trace: ``TraceIdParent``); each call gets a
    SERVER span named ``rpc.method``, with ``rpc.system.name``, ``rpc.method``
    and its status attributes (``RpcSemanticConventions``), current while the
    handler runs (``ServerCallSpan``, through ``ObservedHandler``). Raises
    ``InvalidOpenTelemetrySetup`` for a provider or propagator of the wrong
    kind.
    """

    def __init__(
        self, tracer_provider: trace.TracerProvider | None, propagator: TextMapPropagator | None
    ) -> None:
        self._tracer = OpenTelemetrySetup(tracer_provider, None, propagator).tracer()
        self._propagator = propagator
        self._conventions = RpcSemanticConventions()
        self._methods: dict[str, Attributes] = {}
        ActiveSpanIds.follow()

    def wrap(self, handler: Handler, details: grpc.HandlerCallDetails, *, aio: bool) -> Handler:
        """``handler`` traced as method ``details.method``, its parent in the call's metadata."""
        path = details.method
        attributes = self._methods.get(path)
        if attributes is None:
            attributes = self._methods[path] = self._conventions.span_method(path)
        carrier = {
            key: value
            for key, value in reversed(details.invocation_metadata or ())
            if isinstance(value, str)
        }
        propagator = self._propagator or propagate.get_global_textmap()
        extracted = propagator.extract(carrier, getter=_GETTER)
        parent = extracted
        if not trace.get_current_span(extracted).get_span_context().is_valid:
            parent = TraceIdParent.context(carrier.get(TRACE_ID_KEY, ""), extracted) or extracted
        tracer, conventions, name = self._tracer, self._conventions, path[1:]

        def begin(context: Any) -> ServerCallSpan:
            span = tracer.start_span(name, parent, kind=_SERVER, attributes=attributes)
            if parent is not extracted and not span.is_recording():  # no SDK: no made-up parent
                span = tracer.start_span(name, extracted, kind=_SERVER, attributes=attributes)
                return ServerCallSpan(span, extracted, conventions)
            return ServerCallSpan(span, parent, conventions)

        return ObservedHandler.wrap(
            handler,
            begin,
            aio=aio,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
