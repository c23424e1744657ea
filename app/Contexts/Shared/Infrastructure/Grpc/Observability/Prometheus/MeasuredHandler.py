from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from time import perf_counter
from typing import Any

from prometheus_client import Counter

from app.Contexts.Shared.Infrastructure.Grpc.Observability.Prometheus.CodeKeepingContext import (
    CodeKeepingContext,
)
from app.Contexts.Shared.Infrastructure.Grpc.Observability.Prometheus.GrpcMetricSet import (
    GrpcMetricSet,
)
from app.Contexts.Shared.Infrastructure.Grpc.Observability.Prometheus.HandlerOutcome import (
    HandlerOutcome,
)
from app.Contexts.Shared.Infrastructure.Grpc.Observability.Prometheus.MethodSeries import (
    MethodSeries,
)
from app.Contexts.Shared.Infrastructure.Grpc.Server.HandlerBehaviour import (
    Behaviour,
    Handler,
    HandlerBehaviour,
    Serializer,
)

# (request_streaming, response_streaming) -> go-grpc-middleware's grpc_type.
_KINDS = {
    (False, False): "unary",
    (True, False): "client_stream",
    (False, True): "server_stream",
    (True, True): "bidi_stream",
}
_ended = HandlerOutcome.code


class MeasuredHandler:
    """Rebuilds a method handler so its calls are counted and timed in the ``grpc_server_*`` set.

    What both Prometheus server interceptors share. Each call of the handler
    counts ``grpc_server_started_total`` when its behaviour is entered, and
    when the behaviour ends (returns, runs out of replies, raises, or is
    stopped by grpc) ``grpc_server_handled_total`` with the status it ended
    with (``HandlerOutcome``) and ``grpc_server_handling_seconds``, the
    seconds in between. Messages are counted as grpc decodes and encodes
    them, through the handler's deserializer and serializer, so every
    message is, whichever way the handler reads and writes (an iterator,
    a generator, grpc.aio's ``context.read()`` and ``write()``):
    ``grpc_server_msg_received_total`` and ``grpc_server_msg_sent_total``,
    added one by one while a stream runs.

    The rebuilt behaviour keeps its shape (``HandlerBehaviour``). A plain
    handler on a grpc.aio server (``aio=True``) is given its context inside a
    ``CodeKeepingContext``, the one context that cannot tell its code.
    """

    @classmethod
    def wrap(cls, handler: Handler, path: str, metrics: GrpcMetricSet, *, aio: bool) -> Handler:
        """``handler`` measured as method ``path`` (``/package.Service/Method``) in ``metrics``."""
        series = metrics.series(path, _KINDS[handler.request_streaming, handler.response_streaming])
        behaviour, shape = HandlerBehaviour.of(handler), HandlerBehaviour.shape(handler)
        if shape == "coroutine":
            measured = cls._coroutine(behaviour, series)
        elif shape == "async_generator":
            measured = cls._async_generator(behaviour, series)
        elif shape == "generator":
            measured = cls._generator(behaviour, series, aio)
        else:
            measured = cls._function(behaviour, series, aio)
        return HandlerBehaviour.rebuilt(
            handler,
            measured,
            request_deserializer=_counting(handler.request_deserializer, series.msg_received),
            response_serializer=_counting(handler.response_serializer, series.msg_sent),
        )

    @staticmethod
    def _function(behaviour: Behaviour, series: MethodSeries, aio: bool) -> Behaviour:
        def measured(request: Any, context: Any) -> Any:
            if aio:
                context = CodeKeepingContext(context)
            series.started.inc()
            began = perf_counter()
            try:
                reply = behaviour(request, context)
            except BaseException as error:
                series.ended(_ended(context, error), perf_counter() - began)
                raise
            series.ended(_ended(context, None), perf_counter() - began)
            return reply

        return measured

    @staticmethod
    def _coroutine(behaviour: Behaviour, series: MethodSeries) -> Behaviour:
        async def measured(request: Any, context: Any) -> Any:
            series.started.inc()
            began = perf_counter()
            try:
                reply = await behaviour(request, context)
            except BaseException as error:
                series.ended(_ended(context, error), perf_counter() - began)
                raise
            series.ended(_ended(context, None), perf_counter() - began)
            return reply

        return measured

    @staticmethod
    def _generator(behaviour: Behaviour, series: MethodSeries, aio: bool) -> Behaviour:
        """Replies from any iterable a sync behaviour returns; grpc closing it stops the call."""

        def measured(request: Any, context: Any) -> Iterator[Any]:
            if aio:
                context = CodeKeepingContext(context)
            series.started.inc()
            began = perf_counter()
            try:
                yield from behaviour(request, context)
            except BaseException as error:
                series.ended(_ended(context, error), perf_counter() - began)
                raise
            series.ended(_ended(context, None), perf_counter() - began)

        return measured

    @staticmethod
    def _async_generator(behaviour: Behaviour, series: MethodSeries) -> Behaviour:
        async def measured(request: Any, context: Any) -> AsyncIterator[Any]:
            series.started.inc()
            began = perf_counter()
            try:
                async for reply in behaviour(request, context):
                    yield reply
            except BaseException as error:
                series.ended(_ended(context, error), perf_counter() - began)
                raise
            series.ended(_ended(context, None), perf_counter() - began)

        return measured


def _counting(convert: Serializer, counter: Counter) -> Callable[[Any], Any]:
    """``convert`` (grpc's ``None``: the bytes as they are), adding 1 to ``counter`` per message."""
    count = counter.inc
    if convert is None:

        def counted_as_is(message: Any) -> Any:
            count()
            return message

        return counted_as_is

    def counted(message: Any) -> Any:
        converted = convert(message)
        count()
        return converted

    return counted
