from __future__ import annotations

from typing import Any

import grpc

from app.Contexts.Shared.Infrastructure.Grpc.Client.Metadata.OutgoingMetadata import (
    CORRELATION_ID_KEY,
    TRACE_ID_KEY,
    USER_ID_KEY,
)
from app.Contexts.Shared.Infrastructure.Grpc.Server.HandlerBehaviour import Handler
from app.Contexts.Shared.Infrastructure.Grpc.Server.ObservedHandler import ObservedHandler
from app.Contexts.Shared.Infrastructure.Grpc.Server.PeerAddress import PeerAddress
from app.Contexts.Shared.Infrastructure.Grpc.Server.ScopedCall import ScopedCall
from app.Contexts.Shared.Infrastructure.Http.Context.IdHeaders import IdHeaders
from app.Contexts.Shared.Infrastructure.Http.Context.IncomingIds import IncomingIds
from app.Contexts.Shared.Infrastructure.Http.Context.TraceParent import TraceParent

_TRACE = (TRACE_ID_KEY,)
_USER = (USER_ID_KEY, IdHeaders.USER_ID.lower(), IdHeaders.CONSUMER_CUSTOM_ID.lower())
_CORRELATION = (CORRELATION_ID_KEY, IdHeaders.CORRELATION_ID.lower())
_READ = frozenset({TraceParent.HEADER, *_TRACE, *_USER, *_CORRELATION})


class ContextScopedHandler:
    """Rebuilds a method handler so its behaviour runs inside a ``RequestContext`` of the call.

    What both server interceptors share. The ids come from the call's metadata
    by the middleware's rule (``IncomingIds``): the names this library's client
    sends (``x-trace-id``, ``user-id``, ``correlation-id``), then the HTTP names a
    transcoding gateway passes on (``x-user-id``, Kong's ``x-consumer-custom-id``,
    ``x-correlation-id``); a valid W3C ``traceparent`` wins over ``x-trace-id``,
    so the trace id is that of the caller's OpenTelemetry trace when it has one;
    the client IP comes from the peer.

    The handler is rebuilt by ``ObservedHandler``, as the metrics and tracing
    interceptors rebuild theirs, with a ``ScopedCall`` per call: each step of
    it (the body, or the making of each streamed reply) runs inside the
    context, which is closed again whenever it yields, so a stream the client
    abandons leaves nothing behind in the thread or task that drove it.
    """

    @classmethod
    def wrap(cls, handler: Handler, metadata: grpc.Metadata, *, aio: bool) -> Handler:
        """``handler`` run in a context of the ids in ``metadata`` (``aio``: on grpc.aio)."""
        ids = cls._ids(metadata)

        def begin(context: Any) -> ScopedCall:
            return ScopedCall(ids, PeerAddress.client_ip(context.peer()))

        return ObservedHandler.wrap(
            handler,
            begin,
            aio=aio,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

    @staticmethod
    def _ids(metadata: grpc.Metadata) -> IncomingIds:
        """Read backwards, so that of a repeated key the first value is the one kept."""
        values = {key: value for key, value in reversed(metadata) if key in _READ}
        return IncomingIds.read(values, trace=_TRACE, user=_USER, correlation=_CORRELATION)
