from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prometheus_client import Counter

from app.Contexts.Shared.Infrastructure.Grpc.Observability.Prometheus.GrpcMetricSet import (
    GrpcMetricSet,
)
from app.Contexts.Shared.Infrastructure.Grpc.Observability.Prometheus.MeasuredCall import (
    MeasuredCall,
)
from app.Contexts.Shared.Infrastructure.Grpc.Server.HandlerBehaviour import Handler, Serializer
from app.Contexts.Shared.Infrastructure.Grpc.Server.ObservedHandler import ObservedHandler

# (request_streaming, response_streaming) -> go-grpc-middleware's grpc_type.
_KINDS = {
    (False, False): "unary",
    (True, False): "client_stream",
    (False, True): "server_stream",
    (True, True): "bidi_stream",
}


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

    The rebuilt behaviour keeps its shape, as ``ObservedHandler`` rebuilds it,
    which tells each call's ``MeasuredCall``.
    """

    @staticmethod
    def wrap(handler: Handler, path: str, metrics: GrpcMetricSet, *, aio: bool) -> Handler:
        """``handler`` measured as method ``path`` (``/package.Service/Method``) in ``metrics``."""
        series = metrics.series(path, _KINDS[handler.request_streaming, handler.response_streaming])

        def begin(context: Any) -> MeasuredCall:
            return MeasuredCall(series)

        return ObservedHandler.wrap(
            handler,
            begin,
            aio=aio,
            request_deserializer=_counting(handler.request_deserializer, series.msg_received),
            response_serializer=_counting(handler.response_serializer, series.msg_sent),
        )


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
