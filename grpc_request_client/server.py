"""Server interceptors that open a ``RequestContext`` per call, and their shared plumbing."""

from __future__ import annotations

import asyncio
import inspect
from abc import abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any, Literal, Protocol, TypeAlias
from urllib.parse import unquote

import grpc
import grpc.aio

from grpc_request_client.context import IdHeaders, IncomingIds, RequestContextData, TraceParent
from grpc_request_client.metadata import CORRELATION_ID_KEY, TRACE_ID_KEY, USER_ID_KEY

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


class AsyncHandlerWrappingInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[type-arg]  # generic only in the stubs
    """``HandlerWrappingInterceptor`` for ``grpc.aio.server``: every known method's handler rebuilt.

    A subclass says how in ``wrap``; a method the server does not know passes
    through untouched, to be answered UNIMPLEMENTED.
    """

    async def intercept_service(  # type: ignore[override]  # the stubs forget an unknown method
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        return self.wrap(handler, handler_call_details)

    @abstractmethod
    def wrap(self, handler: Handler, details: grpc.HandlerCallDetails) -> Handler:
        """``handler`` rebuilt for the call ``details`` describe (its method, its metadata)."""


class CodeKeepingContext:
    """The context grpc.aio gives a plain (``def``) handler, made to tell the code set on it.

    grpc.aio runs plain handlers on its thread pool with a context that sets a
    status code (``set_code``, ``abort``) but, unlike every other servicer
    context, has no ``code()`` to read it back, so ``HandlerOutcome`` could not
    tell an abort from a crash. This wrapper keeps what the handler set and
    passes every call on to the context it wraps, unchanged.
    """

    def __init__(self, context: Any) -> None:
        self._context = context
        self._code: grpc.StatusCode | None = None

    def code(self) -> grpc.StatusCode | None:
        """The code the handler set or aborted with; ``None`` while it has set none."""
        return self._code

    def set_code(self, code: grpc.StatusCode) -> None:
        self._code = code
        self._context.set_code(code)

    def abort(self, code: grpc.StatusCode, details: str = "", trailing_metadata: Any = ()) -> None:
        """Abort the call, as the wrapped context does (it raises); the code is kept first."""
        self._code = code
        self._context.abort(code, details, trailing_metadata)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)


class HandlerCall(Protocol):
    """One call of a method handler, as an ``ObservedHandler`` tells its observer of it.

    ``enter()`` is called before each step of the handler's behaviour runs (its
    body, or the making of each streamed reply) and ``leave(token)`` after it,
    with what ``enter`` returned, on the same thread or task: where a tracer
    makes the call's span current. ``ended(code)`` is called once, when the
    behaviour ended, with the status it ended with (``HandlerOutcome``).
    """

    def enter(self) -> Any:
        """Before a step of the behaviour: a token for ``leave``."""

    def leave(self, token: Any) -> None:
        """After that step, whatever it did."""

    def ended(self, code: grpc.StatusCode) -> None:
        """The behaviour ended with ``code``."""


_OK = grpc.StatusCode.OK
# What grpc throws into a handler it stops: a task cancelled (grpc.aio), a generator closed (sync).
_STOPPED = (asyncio.CancelledError, GeneratorExit)


class HandlerOutcome:
    """The status a server handler ended its call with: what ``grpc_server_handled_total`` counts.

    As go-grpc-middleware's server interceptor takes the status of the error
    its handler returned, in grpc's Python terms:

    1. a handler grpc stopped (the client cancelled, the deadline passed: a
       task cancelled on grpc.aio, a reply generator closed or the request
       iterator failing on sync grpc) ended with DEADLINE_EXCEEDED if its
       deadline has passed, CANCELLED if not;
    2. otherwise, with the code it set (``context.set_code``, or
       ``context.abort``, which sets it and raises): an abort is its code, not
       the exception's;
    3. otherwise OK if it returned (or its replies ran out), UNKNOWN if it
       raised, which is what grpc answers for an unexpected exception.

    ``context`` is the call's servicer context; one that cannot tell its code
    (grpc.aio's for plain handlers) is wrapped in ``CodeKeepingContext`` first.
    """

    @staticmethod
    def code(context: Any, error: BaseException | None) -> grpc.StatusCode:
        """The status for a handler that returned (``error`` ``None``) or raised ``error``."""
        if error is not None and HandlerOutcome._stopped(context, error):
            remaining = context.time_remaining()
            if remaining is not None and remaining <= 0:
                return grpc.StatusCode.DEADLINE_EXCEEDED
            return grpc.StatusCode.CANCELLED
        code = context.code()
        if isinstance(code, grpc.StatusCode) and (error is None or code is not _OK):
            return code
        return _OK if error is None else grpc.StatusCode.UNKNOWN

    @staticmethod
    def _stopped(context: Any, error: BaseException) -> bool:
        """Whether grpc stopped the handler, rather than the handler failing by itself.

        Sync grpc's request iterator raises a bare ``grpc.RpcError`` once the
        call is over; the call being no longer active tells it from an error of
        the handler's own (a call of its own that failed, say).
        """
        if isinstance(error, _STOPPED):
            return True
        return (
            isinstance(error, grpc.RpcError)
            and isinstance(context, grpc.ServicerContext)
            and not context.is_active()
        )


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
    ``requests``, when given, is applied to what each call hands the
    behaviour first (its request, or its request iterator), which the
    behaviour is given instead.
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
        requests: Callable[[Any], Any] | None = None,
    ) -> Handler:
        """``handler`` observed by ``begin``, with these (de)serializers."""
        behaviour, shape = HandlerBehaviour.of(handler), HandlerBehaviour.shape(handler)
        if requests is not None:
            behaviour = _fed(behaviour, requests)
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


def _fed(behaviour: Behaviour, requests: Callable[[Any], Any]) -> Behaviour:
    """``behaviour`` given ``requests(request)`` for each call's request: what it returns, as is."""

    def fed(request: Any, context: Any) -> Any:
        return behaviour(requests(request), context)

    return fed


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


class PeerAddress:
    """The caller's IP, from grpc's name for the peer of a call.

    grpc names peers ``ipv4:10.0.0.7:5555`` and ``ipv6:%5B::1%5D:5555`` (the
    brackets percent-encoded); a Unix socket or an in-process transport has no
    IP, so it gives ``None`` rather than a path posing as an address.
    """

    @staticmethod
    def client_ip(peer: str) -> str | None:
        kind, _, address = peer.partition(":")
        if kind not in ("ipv4", "ipv6"):
            return None
        host = unquote(address).rpartition(":")[0].removeprefix("[").removesuffix("]")
        return host or None


Scope = AbstractContextManager[RequestContextData]


class ScopedCall:
    """One server call run inside a ``RequestContext`` of its ids: a ``HandlerCall``.

    Each step of the handler enters the context and leaves it again, so a
    stream the client abandons leaves nothing behind in the thread or task
    that drove it, and the context is never reset from another thread. How
    the call ended is no concern of the context.
    """

    __slots__ = ("_client_ip", "_ids")

    def __init__(self, ids: IncomingIds, client_ip: str | None) -> None:
        self._ids = ids
        self._client_ip = client_ip

    def enter(self) -> Scope:
        """Open the call's context for a step; the scope ``leave`` closes."""
        scope = self._ids.scope(self._client_ip)
        scope.__enter__()
        return scope

    def leave(self, token: Any) -> None:
        """Close the step's context, restoring what was there before."""
        token.__exit__(None, None, None)

    def ended(self, code: grpc.StatusCode) -> None:
        """Nothing to do: the context ends with each step."""


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


class AsyncRequestContextServerInterceptor(AsyncHandlerWrappingInterceptor):
    """``RequestContextServerInterceptor`` for ``grpc.aio.server(interceptors=[...])``.

    Coroutine and async-generator handlers run in the context on the event loop;
    plain handlers, which grpc.aio runs on its thread pool, run in it there.
    """

    def wrap(self, handler: Handler, details: grpc.HandlerCallDetails) -> Handler:
        return ContextScopedHandler.wrap(handler, details.invocation_metadata, aio=True)


class HandlerWrappingInterceptor(grpc.ServerInterceptor):  # type: ignore[type-arg]  # generic only in the stubs
    """A ``grpc.server`` interceptor that rebuilds the handler of every method the server knows.

    What each server interceptor here is (the request context, metrics,
    tracing): a subclass says how in ``wrap``. A method the server does not
    know passes through untouched, to be answered UNIMPLEMENTED.
    ``AsyncHandlerWrappingInterceptor`` is the same for ``grpc.aio.server``.
    """

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Handler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        return self.wrap(handler, handler_call_details)

    @abstractmethod
    def wrap(self, handler: Handler, details: grpc.HandlerCallDetails) -> Handler:
        """``handler`` rebuilt for the call ``details`` describe (its method, its metadata)."""


class RequestContextServerInterceptor(HandlerWrappingInterceptor):
    """Serves each call of a ``grpc.server`` inside a ``RequestContext`` opened from its metadata.

    So a service that is called and calls others continues the caller's trace:
    the trace, correlation and user ids that arrived (kept only if valid, as the
    HTTP middleware keeps them; see ``ContextScopedHandler``) go out again on
    every ``GrpcClient`` call the handler makes, and the peer's IP is the
    context's client IP. Pass it as ``grpc.server(executor, interceptors=[...])``.
    A method the server does not know passes through, to be answered UNIMPLEMENTED.
    """

    def wrap(self, handler: Handler, details: grpc.HandlerCallDetails) -> Handler:
        return ContextScopedHandler.wrap(handler, details.invocation_metadata, aio=False)
