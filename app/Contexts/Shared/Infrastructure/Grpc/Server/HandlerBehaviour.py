from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Literal, TypeAlias

import grpc

Behaviour = Callable[..., Any]
Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"  # generic only in the stubs
Serializer = Callable[[Any], Any] | None
# How a behaviour runs, which is how a wrapper of it must run: see ``HandlerBehaviour.shape``.
Shape = Literal["function", "coroutine", "generator", "async_generator"]

# (request_streaming, response_streaming) -> the handler's behaviour attribute, its factory.
_FACTORIES = {
    (False, False): ("unary_unary", grpc.unary_unary_rpc_method_handler),
    (False, True): ("unary_stream", grpc.unary_stream_rpc_method_handler),
    (True, False): ("stream_unary", grpc.stream_unary_rpc_method_handler),
    (True, True): ("stream_stream", grpc.stream_stream_rpc_method_handler),
}


class HandlerBehaviour:
    """A method handler's behaviour taken out, and the handler rebuilt around a wrapper of it.

    What every server interceptor here shares (the request context, metrics):
    a ``grpc.RpcMethodHandler`` keeps its behaviour under one of four
    attributes, by its call kind, and the handler rebuilt must keep that kind.
    grpc.aio picks how to run a behaviour by inspecting it, so a wrapper must
    also keep its ``shape``: a coroutine stays a coroutine, an async generator
    an async generator, and a plain function stays plain (an aio server runs
    those on its thread pool).
    """

    @staticmethod
    def of(handler: Handler) -> Behaviour:
        """The function grpc calls for this handler's calls: ``(request or iterator, context)``."""
        attribute, _ = _FACTORIES[handler.request_streaming, handler.response_streaming]
        behaviour: Behaviour = getattr(handler, attribute)
        return behaviour

    @staticmethod
    def shape(handler: Handler) -> Shape:
        """How its behaviour runs, so that a wrapper runs the same way.

        A handler with one reply has a plain ``function`` or a ``coroutine``;
        one that streams replies has a ``generator`` (a function returning an
        iterator, as sync grpc takes it), an ``async_generator``, or a
        ``coroutine`` that writes its replies itself (``context.write``).
        """
        behaviour = HandlerBehaviour.of(handler)
        if inspect.iscoroutinefunction(behaviour):
            return "coroutine"
        if not handler.response_streaming:
            return "function"
        if inspect.isasyncgenfunction(behaviour):
            return "async_generator"
        return "generator"

    @staticmethod
    def rebuilt(
        handler: Handler,
        behaviour: Behaviour,
        *,
        request_deserializer: Serializer,
        response_serializer: Serializer,
    ) -> Handler:
        """A handler of the same kind running ``behaviour``, with these (de)serializers."""
        _, factory = _FACTORIES[handler.request_streaming, handler.response_streaming]
        return factory(
            behaviour,
            request_deserializer=request_deserializer,
            response_serializer=response_serializer,
        )
