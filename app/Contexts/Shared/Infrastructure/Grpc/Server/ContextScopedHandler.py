from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Iterator
from typing import Any

import grpc
import grpc.aio

from app.Contexts.Shared.Infrastructure.Grpc.Client.Metadata.OutgoingMetadata import (
    CORRELATION_ID_KEY,
    TRACE_ID_KEY,
    USER_ID_KEY,
)
from app.Contexts.Shared.Infrastructure.Grpc.Server.HandlerBehaviour import (
    Behaviour,
    Handler,
    HandlerBehaviour,
)
from app.Contexts.Shared.Infrastructure.Grpc.Server.PeerAddress import PeerAddress
from app.Contexts.Shared.Infrastructure.Http.Context.IdHeaders import IdHeaders
from app.Contexts.Shared.Infrastructure.Http.Context.IncomingIds import IncomingIds
from app.Contexts.Shared.Infrastructure.Http.Context.TraceParent import TraceParent

_TRACE = (TRACE_ID_KEY,)
_USER = (USER_ID_KEY, IdHeaders.USER_ID.lower(), IdHeaders.CONSUMER_CUSTOM_ID.lower())
_CORRELATION = (CORRELATION_ID_KEY, IdHeaders.CORRELATION_ID.lower())
_READ = frozenset({TraceParent.HEADER, *_TRACE, *_USER, *_CORRELATION})
_DONE = object()


class ContextScopedHandler:
    """Rebuilds a method handler so its behaviour runs inside a ``RequestContext`` of the call.

    What both server interceptors share. The ids come from the call's metadata
    by the middleware's rule (``IncomingIds``): the names this library's client
    sends (``x-trace-id``, ``user-id``, ``correlation-id``), then the HTTP names a
    transcoding gateway passes on (``x-user-id``, Kong's ``x-consumer-custom-id``,
    ``x-correlation-id``); a valid W3C ``traceparent`` wins over ``x-trace-id``,
    so the trace id is that of the caller's OpenTelemetry trace when it has one;
    the client IP comes from the peer.

    Each behaviour keeps its shape (``HandlerBehaviour``: grpc.aio inspects a
    behaviour to pick how to run it). A generator runs each of its steps inside
    the context, which is closed again whenever it yields: a stream the client
    abandons then leaves nothing behind in the thread or task that drove it, and
    the context is never reset from whatever thread finally collects the
    generator.
    """

    @classmethod
    def wrap(cls, handler: Handler, metadata: grpc.Metadata) -> Handler:
        ids = cls._ids(metadata)
        behaviour, shape = HandlerBehaviour.of(handler), HandlerBehaviour.shape(handler)
        if shape == "generator":
            scoped = cls._generator(behaviour, ids)
        elif shape == "async_generator":
            scoped = cls._async_generator(behaviour, ids)
        else:
            scoped = cls._single(behaviour, ids)
        return HandlerBehaviour.rebuilt(
            handler,
            scoped,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

    @staticmethod
    def _ids(metadata: grpc.Metadata) -> IncomingIds:
        """Read backwards, so that of a repeated key the first value is the one kept."""
        values = {key: value for key, value in reversed(metadata) if key in _READ}
        return IncomingIds.read(values, trace=_TRACE, user=_USER, correlation=_CORRELATION)

    @staticmethod
    def _single(behaviour: Behaviour, ids: IncomingIds) -> Behaviour:
        """A behaviour that returns once: a reply, or (writing its replies itself) ``None``."""
        if inspect.iscoroutinefunction(behaviour):

            async def scoped_coroutine(
                request: Any, context: grpc.aio.ServicerContext[Any, Any]
            ) -> Any:
                with ids.scope(PeerAddress.client_ip(context.peer())):
                    return await behaviour(request, context)

            return scoped_coroutine

        def scoped(request: Any, context: grpc.ServicerContext) -> Any:
            with ids.scope(PeerAddress.client_ip(context.peer())):
                return behaviour(request, context)

        return scoped

    @staticmethod
    def _generator(behaviour: Behaviour, ids: IncomingIds) -> Behaviour:
        def scoped(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            client_ip = PeerAddress.client_ip(context.peer())
            with ids.scope(client_ip):
                responses = iter(behaviour(request, context))
            while True:
                with ids.scope(client_ip):
                    response = next(responses, _DONE)
                if response is _DONE:
                    return
                yield response

        return scoped

    @staticmethod
    def _async_generator(behaviour: Behaviour, ids: IncomingIds) -> Behaviour:
        async def scoped(
            request: Any, context: grpc.aio.ServicerContext[Any, Any]
        ) -> AsyncIterator[Any]:
            client_ip = PeerAddress.client_ip(context.peer())
            with ids.scope(client_ip):
                responses = behaviour(request, context)
            while True:
                with ids.scope(client_ip):
                    response = await anext(responses, _DONE)
                if response is _DONE:
                    return
                yield response

        return scoped
