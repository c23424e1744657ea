from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from app.Contexts.Shared.Infrastructure.Grpc.Server.CodeKeepingContext import CodeKeepingContext
from app.Contexts.Shared.Infrastructure.Grpc.Server.HandlerBehaviour import (
    Behaviour,
    Handler,
    HandlerBehaviour,
    Serializer,
)
from app.Contexts.Shared.Infrastructure.Grpc.Server.HandlerCall import HandlerCall
from app.Contexts.Shared.Infrastructure.Grpc.Server.HandlerOutcome import HandlerOutcome

# The call's servicer context -> what hears of the call.
Begin = Callable[[Any], HandlerCall]
_DONE = object()
_ended = HandlerOutcome.code


class ObservedHandler:
    """Rebuilds a method handler so an observer hears of each of its calls: begun, stepped, ended.

    What the metrics and tracing server interceptors share. ``begin(context)``
    is called when a call's behaviour is entered and returns its
    ``HandlerCall``; each step of the behaviour (its body, or the making of
    each reply it streams) runs between that call's ``enter()`` and
    ``leave()``; and when the behaviour ends (returns, runs out of replies,
    raises, or is stopped by grpc) ``ended(code)`` is told the status it ended
    with (``HandlerOutcome``). A reply generator grpc stops is closed inside a
    step, so its own cleanup runs where its other steps did.

    The rebuilt behaviour keeps its shape (``HandlerBehaviour``). A plain
    handler on a grpc.aio server (``aio=True``) is given its context inside a
    ``CodeKeepingContext``, the one context that cannot tell its code.
    """

    @classmethod
    def wrap(
        cls,
        handler: Handler,
        begin: Begin,
        *,
        aio: bool,
        request_deserializer: Serializer,
        response_serializer: Serializer,
    ) -> Handler:
        """``handler`` observed by ``begin``, with these (de)serializers."""
        behaviour, shape = HandlerBehaviour.of(handler), HandlerBehaviour.shape(handler)
        if shape == "coroutine":
            observed = cls._coroutine(behaviour, begin)
        elif shape == "async_generator":
            observed = cls._async_generator(behaviour, begin)
        elif shape == "generator":
            observed = cls._generator(behaviour, begin, aio)
        else:
            observed = cls._function(behaviour, begin, aio)
        return HandlerBehaviour.rebuilt(
            handler,
            observed,
            request_deserializer=request_deserializer,
            response_serializer=response_serializer,
        )

    @staticmethod
    def _function(behaviour: Behaviour, begin: Begin, aio: bool) -> Behaviour:
        def observed(request: Any, context: Any) -> Any:
            if aio:
                context = CodeKeepingContext(context)
            call = begin(context)
            token = call.enter()
            try:
                reply = behaviour(request, context)
            except BaseException as error:
                call.ended(_ended(context, error))
                raise
            finally:
                call.leave(token)
            call.ended(_ended(context, None))
            return reply

        return observed

    @staticmethod
    def _coroutine(behaviour: Behaviour, begin: Begin) -> Behaviour:
        async def observed(request: Any, context: Any) -> Any:
            call = begin(context)
            token = call.enter()
            try:
                reply = await behaviour(request, context)
            except BaseException as error:
                call.ended(_ended(context, error))
                raise
            finally:
                call.leave(token)
            call.ended(_ended(context, None))
            return reply

        return observed

    @staticmethod
    def _generator(behaviour: Behaviour, begin: Begin, aio: bool) -> Behaviour:
        """Replies from any iterable a sync behaviour returns; grpc closing it stops the call."""

        def observed(request: Any, context: Any) -> Iterator[Any]:
            if aio:
                context = CodeKeepingContext(context)
            call = begin(context)
            replies: Any = None
            try:
                while True:
                    token = call.enter()
                    try:
                        if replies is None:
                            replies = iter(behaviour(request, context))
                        reply = next(replies, _DONE)
                    finally:
                        call.leave(token)
                    if reply is _DONE:
                        break
                    yield reply
            except BaseException as error:
                _close(call, replies)
                call.ended(_ended(context, error))
                raise
            call.ended(_ended(context, None))

        return observed

    @staticmethod
    def _async_generator(behaviour: Behaviour, begin: Begin) -> Behaviour:
        async def observed(request: Any, context: Any) -> AsyncIterator[Any]:
            call = begin(context)
            replies = behaviour(request, context)
            try:
                while True:
                    token = call.enter()
                    try:
                        reply = await anext(replies, _DONE)
                    finally:
                        call.leave(token)
                    if reply is _DONE:
                        break
                    yield reply
            except BaseException as error:
                token = call.enter()
                try:
                    await replies.aclose()
                finally:
                    call.leave(token)
                call.ended(_ended(context, error))
                raise
            call.ended(_ended(context, None))

        return observed


def _close(call: HandlerCall, replies: Any) -> None:
    """Close a reply generator grpc stopped inside a step, so its cleanup runs in the call."""
    close = getattr(replies, "close", None)
    if close is None:
        return
    token = call.enter()
    try:
        close()
    finally:
        call.leave(token)
