from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TypeAlias

import grpc
import grpc.aio

from app.Contexts.Shared.Infrastructure.Grpc.Client.Metadata.OutgoingMetadata import (
    CORRELATION_ID_KEY,
    TRACE_ID_KEY,
    USER_ID_KEY,
)
from app.Contexts.Shared.Infrastructure.Grpc.Server.PeerAddress import PeerAddress
from app.Contexts.Shared.Infrastructure.Http.Context.IdHeaders import IdHeaders
from app.Contexts.Shared.Infrastructure.Http.Context.IncomingIds import IncomingIds

Behaviour = Callable[..., Any]
Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"  # generic only in the stubs

_TRACE = (TRACE_ID_KEY,)
_USER = (USER_ID_KEY, IdHeaders.USER_ID.lower(), IdHeaders.CONSUMER_CUSTOM_ID.lower())
_CORRELATION = (CORRELATION_ID_KEY, IdHeaders.CORRELATION_ID.lower())
_READ = frozenset({*_TRACE, *_USER, *_CORRELATION})
_FACTORIES = {
    (False, False): ("unary_unary", grpc.unary_unary_rpc_method_handler),
    (False, True): ("unary_stream", grpc.unary_stream_rpc_method_handler),
    (True, False): ("stream_unary", grpc.stream_unary_rpc_method_handler),
    (True, True): ("stream_stream", grpc.stream_stream_rpc_method_handler),
}
_DONE = object()


class ContextScopedHandler:
    """Rebuilds a method handler so its behaviour runs inside a ``RequestContext`` of the call.

    What both server interceptors share. The ids come from the call's metadata
    by the middleware's rule (``IncomingIds``): the names this library's client
    sends (``x-trace-id``, ``user-id``, ``correlation-id``), then the HTTP names a
    transcoding gateway passes on (``x-user-id``, Kong's ``x-consumer-custom-id``,
    ``x-correlation-id``); the client IP comes from the peer.

    Each behaviour keeps its kind, since grpc.aio picks how to run a behaviour by
    inspecting it: a coroutine stays a coroutine, an async generator an async
    generator, and a plain function stays plain (an aio server runs those on its
    thread pool). A generator runs each of its steps inside the context, which is
    closed again whenever it yields: a stream the client abandons then leaves
    nothing behind in the thread or task that drove it, and the context is never
    reset from whatever thread finally collects the generator.
    """

    @classmethod
    def wrap(cls, handler: Handler, metadata: grpc.Metadata) -> Handler:
        ids = cls._ids(metadata)
        attribute, factory = _FACTORIES[handler.request_streaming, handler.response_streaming]
        behaviour = getattr(handler, attribute)
        scoped = (
            cls._streaming(behaviour, ids)
            if handler.response_streaming
            else cls._single(behaviour, ids)
        )
        return factory(
            scoped,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

    @staticmethod
    def _ids(metadata: grpc.Metadata) -> IncomingIds:
        """Read backwards, so that of a repeated key the first value is the one kept."""
        values = {key: value for key, value in reversed(metadata) if key in _READ}
        return IncomingIds.read(values, trace=_TRACE, user=_USER, correlation=_CORRELATION)

    @classmethod
    def _streaming(cls, behaviour: Behaviour, ids: IncomingIds) -> Behaviour:
        if inspect.isasyncgenfunction(behaviour):
            return cls._async_generator(behaviour, ids)
        if inspect.iscoroutinefunction(behaviour):
            return cls._single(behaviour, ids)
        return cls._generator(behaviour, ids)

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
