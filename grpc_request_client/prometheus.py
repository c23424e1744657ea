"""Prometheus metrics of gRPC calls, client and server side, as go-grpc-middleware names them.

Needs prometheus-client (the ``prometheus`` extra). ``PrometheusClientMetrics`` is a call
stage; ``PrometheusServerInterceptor`` and ``AsyncPrometheusServerInterceptor`` serve
``grpc.server`` and ``grpc.aio.server``.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from itertools import pairwise
from time import perf_counter
from typing import Any, ClassVar, Literal, Protocol, TypeVar
from weakref import WeakSet

import grpc
import grpc.aio
from google.protobuf import descriptor_pool
from google.protobuf.descriptor import ServiceDescriptor
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import DuplicateTimeseries

from grpc_request_client.errors import InvalidPrometheusMetrics, PrometheusMetricsConflict
from grpc_request_client.invocation import GrpcInvocation
from grpc_request_client.response import GrpcResponse
from grpc_request_client.server import (
    AsyncHandlerWrappingInterceptor,
    Handler,
    HandlerWrappingInterceptor,
    ObservedHandler,
    Serializer,
)
from grpc_request_client.stages import GrpcCallStage, GrpcClientView

_C = grpc.StatusCode
# grpc-go's codes.Code.String(), one entry per status code.
_GO_NAMES = {
    _C.OK: "OK",
    _C.CANCELLED: "Canceled",
    _C.UNKNOWN: "Unknown",
    _C.INVALID_ARGUMENT: "InvalidArgument",
    _C.DEADLINE_EXCEEDED: "DeadlineExceeded",
    _C.NOT_FOUND: "NotFound",
    _C.ALREADY_EXISTS: "AlreadyExists",
    _C.PERMISSION_DENIED: "PermissionDenied",
    _C.RESOURCE_EXHAUSTED: "ResourceExhausted",
    _C.FAILED_PRECONDITION: "FailedPrecondition",
    _C.ABORTED: "Aborted",
    _C.OUT_OF_RANGE: "OutOfRange",
    _C.UNIMPLEMENTED: "Unimplemented",
    _C.INTERNAL: "Internal",
    _C.UNAVAILABLE: "Unavailable",
    _C.DATA_LOSS: "DataLoss",
    _C.UNAUTHENTICATED: "Unauthenticated",
}


class GrpcCodeLabel:
    """The ``grpc_code`` label value of a status: Go's spelling, as go-grpc-middleware writes it.

    go-grpc-middleware's ``providers/prometheus`` labels ``grpc_code`` with
    grpc-go's ``codes.Code.String()`` (``OK``, ``Canceled``, ``DeadlineExceeded``,
    ``Unavailable``...), not Python's enum names (``CANCELLED``,
    ``DEADLINE_EXCEEDED``), so dashboards and alerts written for Go services
    work unchanged. The one table is here.
    """

    @staticmethod
    def of(code: grpc.StatusCode) -> str:
        """``"DeadlineExceeded"`` for ``grpc.StatusCode.DEADLINE_EXCEEDED``, and so on."""
        return _GO_NAMES[code]


class MethodSeries:
    """One method's series of a ``GrpcMetricSet``: its label values bound once, not per call.

    ``labels`` is ``(grpc_type, grpc_service, grpc_method)``. ``started``,
    ``msg_received``, ``msg_sent`` and ``handling_seconds`` are the method's
    children of those metrics; ``handled(code)`` its ``grpc_handled_total``
    child for a status code (``grpc_code`` in Go's spelling), made the first
    time that code is seen, or by ``initialize()``. Binding labels costs
    prometheus-client a lock and a tuple of strings, so a call only looks its
    method's series up. ``unary`` and ``reads_stream`` (server streaming or
    bidi) tell how its messages are counted.
    """

    __slots__ = (
        "_by_code",
        "_handled",
        "handling_seconds",
        "labels",
        "msg_received",
        "msg_sent",
        "reads_stream",
        "started",
        "unary",
    )

    def __init__(
        self,
        labels: tuple[str, str, str],
        *,
        started: Counter,
        handled: Counter,
        msg_received: Counter,
        msg_sent: Counter,
        handling_seconds: Histogram,
    ) -> None:
        self.labels = labels
        self.unary = labels[0] == "unary"
        self.reads_stream = labels[0] in _READS_STREAM
        self.started = started.labels(*labels)
        self.msg_received = msg_received.labels(*labels)
        self.msg_sent = msg_sent.labels(*labels)
        self.handling_seconds = handling_seconds.labels(*labels)
        self._handled = handled
        self._by_code: dict[grpc.StatusCode, Counter] = {}

    def handled(self, code: grpc.StatusCode) -> Counter:
        """The method's ``grpc_*_handled_total`` child for ``code``."""
        child = self._by_code.get(code)
        if child is None:  # two threads may both bind it: prometheus-client hands both one child
            child = self._by_code[code] = self._handled.labels(*self.labels, GrpcCodeLabel.of(code))
        return child

    def ended(self, code: grpc.StatusCode, seconds: float) -> None:
        """A call of the method ended with ``code`` after ``seconds``: handled, and its latency."""
        self.handled(code).inc()
        self.handling_seconds.observe(seconds)

    def initialize(self) -> None:
        """Make its ``handled`` series of every status code, at 0, as Go's ``InitializeMetrics``.

        Its other series were made at 0 with it. A series that exists before
        its first count lets ``rate()`` and ``increase()`` see that count.
        """
        for code in _GO_NAMES:
            self.handled(code)


# The call kinds whose replies are a stream: the end of it is read too, and counted.
_READS_STREAM = frozenset({"server_stream", "bidi_stream"})


Side = Literal["client", "server"]
# Go's prometheus.DefBuckets, go-grpc-middleware's default: seconds. prometheus-client's own
# default adds .075, .75 and 7.5, which would not line up with a Go service's histograms.
GO_DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LABELS = ("grpc_type", "grpc_service", "grpc_method")
# The help texts of go-grpc-middleware's providers/prometheus (client_metrics.go,
# client_options.go, server_metrics.go), word for word: started, handled, received, sent, seconds.
_HELP = {
    "client": (
        "Total number of RPCs started on the client.",
        "Total number of RPCs completed by the client, regardless of success or failure.",
        "Total number of RPC stream messages received by the client.",
        "Total number of gRPC stream messages sent by the client.",
        "Histogram of response latency (seconds) of the gRPC until it is finished by the "
        "application.",
    ),
    "server": (
        "Total number of RPCs started on the server.",
        "Total number of RPCs completed on the server, regardless of success or failure.",
        "Total number of RPC stream messages received on the server.",
        "Total number of gRPC stream messages sent by the server.",
        "Histogram of response latency (seconds) of gRPC that had been application-level "
        "handled by the server.",
    ),
}


class GrpcMetricSet:
    """go-grpc-middleware's metrics for one side of gRPC calls, as one prometheus collector.

    The names, help texts, label keys and default buckets of go-grpc-middleware's
    ``providers/prometheus`` (the same names as the older go-grpc-prometheus),
    for ``side`` ``"client"`` or ``"server"``: ``grpc_{side}_started_total``,
    ``grpc_{side}_handled_total`` (with ``grpc_code``),
    ``grpc_{side}_msg_received_total``, ``grpc_{side}_msg_sent_total`` (counters)
    and ``grpc_{side}_handling_seconds`` (a histogram of seconds, over
    ``buckets``), each labelled ``grpc_type`` (``unary``, ``client_stream``,
    ``server_stream``, ``bidi_stream``), ``grpc_service`` (fully qualified) and
    ``grpc_method``. A ``namespace`` prefixes every name (``shop`` gives
    ``shop_grpc_client_started_total``), as Go's ``CounterOpts.Namespace`` does.

    Its metrics are registered as one collector, so a registry takes all of
    them or none; ``RegisteredMetricSets`` makes one per registry and
    namespace and shares it.
    """

    def __init__(self, side: Side, namespace: str, buckets: tuple[float, ...]) -> None:
        started, handled, received, sent, seconds = _HELP[side]
        self.buckets = buckets
        counter = self.counter
        self.started = counter(f"grpc_{side}_started_total", started, namespace)
        self.handled = counter(
            f"grpc_{side}_handled_total", handled, namespace, (*LABELS, "grpc_code")
        )
        self.msg_received = counter(f"grpc_{side}_msg_received_total", received, namespace)
        self.msg_sent = counter(f"grpc_{side}_msg_sent_total", sent, namespace)
        self.handling_seconds = Histogram(
            f"grpc_{side}_handling_seconds",
            seconds,
            LABELS,
            namespace=namespace,
            buckets=buckets,
            registry=None,
        )
        self._series: dict[str, MethodSeries] = {}

    @staticmethod
    def counter(
        name: str, documentation: str, namespace: str, labels: tuple[str, ...] = LABELS
    ) -> Counter:
        """A counter of this set's kind: labelled ``labels``, registered with the set, not alone."""
        return Counter(name, documentation, labels, namespace=namespace, registry=None)

    def series(self, path: str, kind: str) -> MethodSeries:
        """The series of the method at ``path`` (``/package.Service/Method``), of call ``kind``.

        A path that is not ``/service/method`` is labelled ``unknown`` twice, as
        go-grpc-middleware labels it.
        """
        found = self._series.get(path)
        if found is None:
            found = self._series.setdefault(path, self._new_series(path, kind))
        return found

    def _new_series(self, path: str, kind: str) -> MethodSeries:
        service, slash, method = path.removeprefix("/").partition("/")
        if not slash:
            service = method = "unknown"
        return MethodSeries(
            (kind, service, method),
            started=self.started,
            handled=self.handled,
            msg_received=self.msg_received,
            msg_sent=self.msg_sent,
            handling_seconds=self.handling_seconds,
        )

    def initialize(self, path: str, kind: str) -> None:
        """Make every series of the method at ``path``, of call ``kind``, at 0."""
        self.series(path, kind).initialize()

    def reset(self) -> None:
        """Drop every series: the set counts from 0 again, as a registry that let it go expects.

        The metrics are emptied first, then the methods' bound series are
        dropped, so a call after this binds new ones to the emptied metrics.
        A call in flight meanwhile may count into the series dropped.
        """
        for metric in self._metrics():
            metric.clear()
        self._series = {}

    def describe(self) -> Iterator[Metric]:
        """What the registry checks for clashes: every metric's name, without samples."""
        for metric in self._metrics():
            yield from metric.describe()

    def collect(self) -> Iterator[Metric]:
        for metric in self._metrics():
            yield from metric.collect()

    def _metrics(self) -> tuple[Counter | Histogram, ...]:
        return (self.started, self.handled, self.msg_received, self.msg_sent, self.handling_seconds)


class MeasuredCall:
    """One server call in its method's ``grpc_server_*`` series: a ``HandlerCall``.

    Made when the call's behaviour is entered, which counts it started;
    ``ended`` counts it handled with its code and observes the seconds since,
    and, for a unary method, its one message sent: go-grpc-middleware's unary
    interceptor counts the reply after the handler returns, whether it
    returned one or an error. Its steps need nothing around them.
    """

    __slots__ = ("_began", "_series")

    def __init__(self, series: MethodSeries) -> None:
        series.started.inc()
        self._series = series
        self._began = perf_counter()

    def enter(self) -> None:
        """Nothing to do around a step: counting needs no context."""

    def leave(self, token: Any) -> None:
        """Nothing to undo."""

    def ended(self, code: grpc.StatusCode) -> None:
        """Count the call handled with ``code``, and observe its seconds."""
        series = self._series
        if series.unary:
            series.msg_sent.inc()
        series.ended(code, perf_counter() - self._began)


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
    seconds in between. Messages are counted as go-grpc-middleware's
    interceptors count them (``PostMsgReceive`` and ``PostMsgSend``, once per
    ``RecvMsg`` and ``SendMsg``): ``grpc_server_msg_received_total`` and
    ``grpc_server_msg_sent_total``, added one by one while a stream runs.
    Each message as grpc decodes and encodes it, through the handler's
    deserializer and serializer, so whichever way the handler reads and
    writes (an iterator, a generator, grpc.aio's ``context.read()`` and
    ``write()``); a unary method's reply once the handler ended, whether it
    returned one or failed (``MeasuredCall``); and the read of a request
    stream's iterator that finds its end (or grpc's error), as Go counts the
    ``Recv`` that returns ``io.EOF``: a handler that reads N messages to the
    end counts N + 1 received (``RequestStreamEnd``). A grpc.aio handler that
    reads with ``context.read()`` instead has its N counted, not the read
    that returns ``grpc.aio.EOF``.

    The rebuilt behaviour keeps its shape, as ``ObservedHandler`` rebuilds it,
    which tells each call's ``MeasuredCall``.
    """

    @staticmethod
    def wrap(handler: Handler, path: str, metrics: GrpcMetricSet, *, aio: bool) -> Handler:
        """``handler`` measured as method ``path`` (``/package.Service/Method``) in ``metrics``."""
        series = metrics.series(path, _KINDS[handler.request_streaming, handler.response_streaming])

        def begin(context: Any) -> MeasuredCall:
            return MeasuredCall(series)

        serializer = handler.response_serializer
        return ObservedHandler.wrap(
            handler,
            begin,
            aio=aio,
            request_deserializer=_counting(handler.request_deserializer, series.msg_received),
            response_serializer=serializer
            if series.unary
            else _counting(serializer, series.msg_sent),
            requests=RequestStreamEnd.counted(series.msg_received)
            if handler.request_streaming
            else None,
        )


class RequestStreamEnd:
    """A request stream handed to a handler, counting the read that finds its end.

    go-grpc-middleware counts every ``RecvMsg`` a server handler makes, the
    one that returns ``io.EOF`` (or an error) too; the messages themselves
    are counted as grpc decodes them, so this adds that last read: a
    ``StopIteration`` or ``StopAsyncIteration``, or the error grpc raises for
    a call that ended. Each such read counts, as each ``RecvMsg`` does in Go.
    Wraps a sync iterator (sync grpc, and grpc.aio's plain handlers) or an
    async one (grpc.aio's coroutines and async generators); anything else
    the iterator has is reached through it unchanged.
    """

    @staticmethod
    def counted(counter: Counter) -> Callable[[Any], Any]:
        """What wraps each call's request stream, counting its end in ``counter``."""

        def wrap(requests: Any) -> Any:
            if hasattr(requests, "__anext__"):
                return _AsyncRequestStream(requests, counter.inc)
            return _RequestStream(requests, counter.inc)

        return wrap


class _RequestStream:
    __slots__ = ("_count", "_requests")

    def __init__(self, requests: Iterator[Any], count: Callable[[], None]) -> None:
        self._requests = requests
        self._count = count

    def __iter__(self) -> _RequestStream:
        return self

    def __next__(self) -> Any:
        try:
            return next(self._requests)
        except BaseException:
            self._count()
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._requests, name)


class _AsyncRequestStream:
    __slots__ = ("_count", "_requests")

    def __init__(self, requests: AsyncIterator[Any], count: Callable[[], None]) -> None:
        self._requests = requests
        self._count = count

    def __aiter__(self) -> _AsyncRequestStream:
        return self

    async def __anext__(self) -> Any:
        try:
            return await anext(self._requests)
        except BaseException:
            self._count()
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._requests, name)


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


class ClientMethodSeries:
    """One method's series of a ``GrpcClientMetricSet``: go-grpc-middleware's, then this library's.

    ``grpc`` is the method's ``MethodSeries`` of the ``grpc_client_*`` metrics;
    ``retries``, ``bulkhead_rejected`` and ``circuit_breaker_rejected`` its
    children of the library's own counters, under the same labels.

    ``stream_ended`` counts a stream's messages as go-grpc-middleware's client
    interceptor counts them on grpc-go's ``ClientStream``: one sent per
    ``SendMsg`` (each request message), one received per ``RecvMsg``, the one
    that returns the end too. So a stream read to its end (its status read:
    OK, or the server's error) counts its replies and one more when replies
    stream (server streaming, bidi: N + 1), and 1 when one reply closes it
    (client streaming: ``CloseAndRecv``, whether it got the reply or an
    error); a stream its caller closed early counts the replies it read (it
    made no read that found the end); a stream that never left the client
    (refused unsent, or no connection: grpc-go's ``NewStream`` fails then)
    counts none either way.
    """

    __slots__ = ("bulkhead_rejected", "circuit_breaker_rejected", "grpc", "retries")

    def __init__(
        self,
        grpc: MethodSeries,
        *,
        retries: Counter,
        bulkhead_rejected: Counter,
        circuit_breaker_rejected: Counter,
    ) -> None:
        self.grpc = grpc
        self.retries = retries.labels(*grpc.labels)
        self.bulkhead_rejected = bulkhead_rejected.labels(*grpc.labels)
        self.circuit_breaker_rejected = circuit_breaker_rejected.labels(*grpc.labels)

    def stream_ended(self, response: GrpcResponse) -> None:
        """Count the messages of a stream that ended with ``response``, as Go's interceptor does."""
        if response.attempts() == 0 or response.never_sent():
            return
        sent, received = response.messages_sent(), response.messages_received()
        if not response.closed_by_caller():
            received = received + 1 if self.grpc.reads_stream else 1
        if sent:
            self.grpc.msg_sent.inc(sent)
        if received:
            self.grpc.msg_received.inc(received)


BREAKER_STATES = ("closed", "open", "half_open")
_BREAKER_HELP = (
    "Number of gRPC clients of the target whose circuit breaker is in the state "
    "(closed, open or half_open)."
)
_IN_FLIGHT_HELP = "Number of RPCs in flight on the clients of the target, holding a bulkhead slot."


class GrpcClientGauges:
    """The gauges of this library's clients, read from each client's view at every scrape.

    A prometheus custom collector, part of a ``GrpcClientMetricSet``: every
    client built with a ``PrometheusClientMetrics`` of that set hands its
    ``GrpcClientView`` to ``watch``, and ``collect`` reads them all, then:

    - ``grpc_client_circuit_breaker_state{grpc_target, state}``: how many of
      the target's clients have their breaker ``closed``, ``open`` or
      ``half_open`` (what the next call meets: an open circuit past its
      cool-down is half-open; with ``scope="method"``, a client's worst
      circuit). All three states are always there for a target whose clients
      have a breaker, 0 for the states none is in, so ``state="open"`` is
      never a missing series; a target whose breaker is disabled has none.
      Clients with equal settings share one breaker, and each is counted.
    - ``grpc_client_bulkhead_in_flight{grpc_target}``: the calls holding a
      bulkhead slot now, an open stream among them, summed over the target's
      clients (a count of calls; each client has a bulkhead of its own).

    ``grpc_target`` is the target as the client was given it
    (``dns:///users:50051``), never anything from a call. The views are held
    weakly, so a client garbage-collected without ``close()`` leaves the
    scrape with it; a closed one leaves at the next scrape. Thread-safe: a
    scrape may come from prometheus-client's HTTP thread while clients are
    built.
    """

    def __init__(self, namespace: str) -> None:
        prefix = f"{namespace}_" if namespace else ""
        self._breaker_name = f"{prefix}grpc_client_circuit_breaker_state"
        self._in_flight_name = f"{prefix}grpc_client_bulkhead_in_flight"
        self._views: WeakSet[GrpcClientView] = WeakSet()
        self._lock = threading.Lock()

    def watch(self, view: GrpcClientView) -> None:
        """Report this client from the next scrape on, until it is closed or collected."""
        with self._lock:
            self._views.add(view)

    def describe(self) -> Iterator[Metric]:
        yield from self._families()

    def collect(self) -> Iterator[Metric]:
        breaker, in_flight = self._families()
        states: dict[str, dict[str, int]] = {}
        calls: dict[str, int] = {}
        for view in self._open_views():
            target = view.target
            calls[target] = calls.get(target, 0) + view.bulkhead_in_flight()
            state = view.breaker_state()
            if state is not None:
                states.setdefault(target, dict.fromkeys(BREAKER_STATES, 0))[state] += 1
        for target, counts in sorted(states.items()):
            for named, clients in counts.items():
                breaker.add_metric([target, named], float(clients))
        for target, count in sorted(calls.items()):
            in_flight.add_metric([target], float(count))
        yield breaker
        yield in_flight

    def _families(self) -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
        return (
            GaugeMetricFamily(self._breaker_name, _BREAKER_HELP, labels=["grpc_target", "state"]),
            GaugeMetricFamily(self._in_flight_name, _IN_FLIGHT_HELP, labels=["grpc_target"]),
        )

    def _open_views(self) -> list[GrpcClientView]:
        """The views of clients still open; those closed are let go of."""
        with self._lock:
            for view in [view for view in self._views if view.closed]:
                self._views.discard(view)
            return list(self._views)


class GrpcClientMetricSet:
    """The client's metrics: go-grpc-middleware's ``grpc_client_*`` set and this library's own.

    ``grpc`` is the ``GrpcMetricSet`` of the client side. This library's
    counters follow its naming and labels (``grpc_type``, ``grpc_service``,
    ``grpc_method``):

    - ``grpc_client_retries_total``: attempts sent again after a failed one
      (a call that took 3 attempts adds 2);
    - ``grpc_client_bulkhead_rejected_total``: calls the client's bulkhead
      refused, never sent (answered RESOURCE_EXHAUSTED);
    - ``grpc_client_circuit_breaker_rejected_total``: calls an open circuit
      refused, never sent (answered UNAVAILABLE).

    And ``gauges``, a ``GrpcClientGauges`` read from the clients themselves at
    each scrape: ``grpc_client_circuit_breaker_state`` and
    ``grpc_client_bulkhead_in_flight``, labelled by ``grpc_target``.

    Registered as one collector with the ``grpc`` set, by ``RegisteredMetricSets``.
    """

    def __init__(self, namespace: str, buckets: tuple[float, ...]) -> None:
        self.grpc = GrpcMetricSet("client", namespace, buckets)
        self.buckets = buckets
        self.retries = GrpcMetricSet.counter(
            "grpc_client_retries_total",
            "Total number of RPC attempts the client sent again after a failed one.",
            namespace,
        )
        self.bulkhead_rejected = GrpcMetricSet.counter(
            "grpc_client_bulkhead_rejected_total",
            "Total number of RPCs the client's bulkhead refused, never sent.",
            namespace,
        )
        self.circuit_breaker_rejected = GrpcMetricSet.counter(
            "grpc_client_circuit_breaker_rejected_total",
            "Total number of RPCs an open circuit breaker refused, never sent.",
            namespace,
        )
        self.gauges = GrpcClientGauges(namespace)
        self._series: dict[str, ClientMethodSeries] = {}

    def series(self, path: str, kind: str) -> ClientMethodSeries:
        """The series of the method at ``path`` (``/package.Service/Method``), of call ``kind``."""
        found = self._series.get(path)
        if found is None:
            made = ClientMethodSeries(
                self.grpc.series(path, kind),
                retries=self.retries,
                bulkhead_rejected=self.bulkhead_rejected,
                circuit_breaker_rejected=self.circuit_breaker_rejected,
            )
            found = self._series.setdefault(path, made)
        return found

    def initialize(self, path: str, kind: str) -> None:
        """Make every series of the method at ``path``, of call ``kind``, at 0: Go's and ours."""
        self.series(path, kind).grpc.initialize()

    def reset(self) -> None:
        """Count from 0 again, as ``GrpcMetricSet.reset``; the clients watched stay watched."""
        self.grpc.reset()
        for metric in self._own():
            metric.clear()
        self._series = {}

    def describe(self) -> Iterator[Metric]:
        yield from self.grpc.describe()
        for metric in self._own():
            yield from metric.describe()
        yield from self.gauges.describe()

    def collect(self) -> Iterator[Metric]:
        yield from self.grpc.collect()
        for metric in self._own():
            yield from metric.collect()
        yield from self.gauges.collect()

    def _own(self) -> tuple[Counter, ...]:
        return (self.retries, self.bulkhead_rejected, self.circuit_breaker_rejected)


class MetricSetShape(Protocol):
    """What ``RegisteredMetricSets`` shares: a collector of metrics, with its histograms' buckets.

    ``GrpcMetricSet`` and ``GrpcClientMetricSet`` are ones; ``buckets`` are
    seconds, increasing, without the ``+Inf`` prometheus-client adds.
    """

    buckets: tuple[float, ...]

    def reset(self) -> None:
        """Forget every count, as a set made anew would have none."""

    def initialize(self, path: str, kind: str) -> None:
        """Make every series of the method at ``path`` (``/package.Service/Method``) at 0."""

    def describe(self) -> Iterator[Metric]:
        """The metrics it will collect, for the registry's check of duplicate names."""

    def collect(self) -> Iterator[Metric]:
        """Its metrics now."""


_NAMESPACE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


S = TypeVar("S", bound=MetricSetShape)
# The attribute of a registry that holds its sets, by side and namespace: on the registry
# itself, so a reload of this module (IPython's autoreload, importlib.reload) finds them.
_HELD = "_grpc_request_client_metric_sets"


class RegisteredMetricSets:
    """The metric sets in each prometheus registry: made and registered once, then shared.

    A second client, stage or interceptor asking for the same registry and
    namespace gets the set already there, so metrics made twice (two
    clients, a module reloaded, one test after another) are never registered
    twice, which prometheus-client refuses (``Duplicated timeseries``, the
    crash py-grpc-prometheus has). A set the registry let go of
    (``registry.unregister``, as a test's reset of prometheus' default
    ``REGISTRY`` does) is registered again, counting from 0, when it is next
    asked for: the stages and interceptors that hold it export again, rather
    than count into a set no scrape reads. The sets live here, in a module of
    their own, so a reloaded stage or interceptor module still finds them, and are
    held by the registry itself, so a reload of this module finds them too
    (and a registry dropped, a test's, takes its sets along). Thread-safe.

    Raises ``InvalidPrometheusMetrics`` for a ``registry`` that is not a
    ``CollectorRegistry``, a ``namespace`` that is not a metric-name prefix, or
    ``buckets`` that are not increasing numbers of seconds (a last ``+Inf`` is
    allowed; prometheus-client adds it anyway); ``PrometheusMetricsConflict``
    when the set there has other buckets, or the registry holds the same names
    from elsewhere.
    """

    _lock: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def client(cls, registry: object, namespace: object, buckets: object) -> GrpcClientMetricSet:
        """The ``grpc_client_*`` set (and the library's own) of ``registry`` and ``namespace``."""
        return cls._shared("client", registry, namespace, buckets, GrpcClientMetricSet)

    @classmethod
    def server(cls, registry: object, namespace: object, buckets: object) -> GrpcMetricSet:
        """The ``grpc_server_*`` set of ``registry`` and ``namespace``."""

        def server_set(namespace: str, buckets: tuple[float, ...]) -> GrpcMetricSet:
            return GrpcMetricSet("server", namespace, buckets)

        return cls._shared("server", registry, namespace, buckets, server_set)

    @classmethod
    def _shared(
        cls,
        side: str,
        registry: object,
        namespace: object,
        buckets: object,
        make: Callable[[str, tuple[float, ...]], S],
    ) -> S:
        checked_registry, checked_namespace = cls._registry(registry), cls._namespace(namespace)
        checked_buckets = cls._buckets(buckets)
        with cls._lock:
            held: dict[str, dict[str, S]] = checked_registry.__dict__.setdefault(_HELD, {})
            in_registry = held.setdefault(side, {})
            found = in_registry.get(checked_namespace)
            if found is None:
                found = make(checked_namespace, checked_buckets)
                cls._register(checked_registry, found)
                in_registry[checked_namespace] = found
                return found
            if found.buckets != checked_buckets:
                raise PrometheusMetricsConflict(
                    f"the registry's metrics of namespace {checked_namespace!r} have buckets "
                    f"{found.buckets}, not {checked_buckets}: one histogram cannot have both; "
                    "give the same buckets, or another namespace or registry"
                )
            if not cls._registered(checked_registry, found):
                found.reset()
                cls._register(checked_registry, found)
        return found

    @staticmethod
    def _register(registry: CollectorRegistry, metrics: MetricSetShape) -> None:
        try:
            registry.register(metrics)
        except DuplicateTimeseries as error:
            raise PrometheusMetricsConflict(
                f"the registry already has {', '.join(sorted(error.duplicates))}, "
                "registered by something else (py-grpc-prometheus?); give these metrics "
                "another registry or namespace"
            ) from error

    @staticmethod
    def _registered(registry: CollectorRegistry, metrics: MetricSetShape) -> bool:
        """Whether ``metrics`` is still in ``registry``: ``unregister`` may have taken it out.

        prometheus-client has no public question for it; its ``register`` and
        ``unregister`` keep this mapping of the collectors it holds, which its
        ``collect`` reads.
        """
        return metrics in registry._collector_to_names

    @staticmethod
    def _registry(registry: object) -> CollectorRegistry:
        if not isinstance(registry, CollectorRegistry):
            raise InvalidPrometheusMetrics(
                "registry must be a prometheus_client.CollectorRegistry, "
                f"got {type(registry).__name__}"
            )
        return registry

    @staticmethod
    def _namespace(namespace: object) -> str:
        if not isinstance(namespace, str) or (namespace and not _NAMESPACE.fullmatch(namespace)):
            raise InvalidPrometheusMetrics(
                "namespace must be '' or a metric-name prefix ([a-zA-Z_][a-zA-Z0-9_]*), "
                f"got {namespace!r}"
            )
        return namespace

    @staticmethod
    def _buckets(buckets: object) -> tuple[float, ...]:
        """The bucket bounds as floats, without the last ``+Inf`` prometheus-client adds itself."""
        bounds = list(buckets) if isinstance(buckets, Iterable) else None
        if bounds and bounds[-1] == math.inf:
            bounds.pop()
        if (
            not bounds
            or any(type(bound) not in {int, float} or not math.isfinite(bound) for bound in bounds)
            or any(lower >= upper for lower, upper in pairwise(bounds))
        ):
            raise InvalidPrometheusMetrics(
                "buckets must be finite numbers of seconds in increasing order (a last +Inf "
                f"allowed), got {buckets!r}"
            )
        return tuple(float(bound) for bound in bounds)


class GrpcServiceMethods:
    """The methods of gRPC services, by path and call kind, for metrics made ahead of calls."""

    @staticmethod
    def of(services: Iterable[object]) -> list[tuple[str, str]]:
        """``(path, grpc_type)`` of every method of ``services``, all checked first.

        A service is a fully qualified name, looked up in the default protobuf
        descriptor pool (which has every service whose ``*_pb2`` module was
        imported), or a ``ServiceDescriptor``. Raises ``InvalidPrometheusMetrics``
        for anything else, and for a name the pool does not have.
        """
        return [
            (
                f"/{service.full_name}/{method.name}",
                _KINDS[method.client_streaming, method.server_streaming],
            )
            for service in [GrpcServiceMethods._descriptor(given) for given in services]
            for method in service.methods
        ]

    @staticmethod
    def _descriptor(service: object) -> ServiceDescriptor:
        if isinstance(service, ServiceDescriptor):
            return service
        if not isinstance(service, str):
            raise InvalidPrometheusMetrics(
                "a service must be its fully qualified name or a protobuf ServiceDescriptor, "
                f"got {service!r}"
            )
        try:
            return descriptor_pool.Default().FindServiceByName(service)
        except KeyError:
            raise InvalidPrometheusMetrics(
                f"service {service!r} is not in the protobuf descriptor pool: import its "
                "generated *_pb2 module first, or pass its ServiceDescriptor"
            ) from None


class AsyncPrometheusServerInterceptor(AsyncHandlerWrappingInterceptor):
    """``PrometheusServerInterceptor`` for ``grpc.aio.server(interceptors=[...])``.

    The same metrics, labels and arguments; coroutine, async-generator and
    plain handlers alike (plain ones run on the server's thread pool). A
    handler grpc.aio cancels (the client went away, the deadline passed) is
    handled as CANCELLED or DEADLINE_EXCEEDED.
    """

    def __init__(
        self,
        registry: CollectorRegistry = REGISTRY,
        *,
        namespace: str = "",
        buckets: Sequence[float] = GO_DEFAULT_BUCKETS,
    ) -> None:
        self._metrics = RegisteredMetricSets.server(registry, namespace, buckets)

    def initialize_metrics(self, *services: str | ServiceDescriptor) -> None:
        """As ``PrometheusServerInterceptor.initialize_metrics``."""
        for path, kind in GrpcServiceMethods.of(services):
            self._metrics.initialize(path, kind)

    def wrap(self, handler: Handler, details: grpc.HandlerCallDetails) -> Handler:
        return MeasuredHandler.wrap(handler, details.method, self._metrics, aio=True)


# A call's state: its method's series, and the perf_counter reading when it started.
CallState = tuple[ClientMethodSeries, float]
_BULKHEAD_FULL = grpc.StatusCode.RESOURCE_EXHAUSTED
_CIRCUIT_OPEN = grpc.StatusCode.UNAVAILABLE


class PrometheusClientMetrics(GrpcCallStage[CallState]):
    """go-grpc-middleware's Prometheus client metrics for every call, as a ``GrpcCallStage``.

    ``GrpcClient(target, stages=[PrometheusClientMetrics()])`` turns them on:
    the names, help texts, label keys, label values and default buckets of
    go-grpc-middleware's ``providers/prometheus``, so dashboards and alerts
    made for Go services read these unchanged (see ``GrpcMetricSet``):

    - ``grpc_client_started_total`` when a call starts;
    - ``grpc_client_handled_total`` when it ends, with ``grpc_code`` its final
      status in Go's spelling (``OK``, ``Unavailable``, ``DeadlineExceeded``...);
    - ``grpc_client_msg_sent_total`` and ``grpc_client_msg_received_total``,
      counted as go-grpc-middleware's client interceptors count them, so a
      fleet's dashboards add Go's and these up alike: a unary call counts 1
      sent when it starts and 1 received when it ends, whatever its outcome
      (Go's interceptor counts both around the call, failed or not); a stream,
      when it ends, its request messages sent, and one received per read of
      grpc-go's ``RecvMsg``, the read that finds the end included (N + 1 for
      N replies read to the end; see ``ClientMethodSeries``). The call's own
      counts, what crossed the wire, are ``GrpcResponse.messages_sent()`` and
      ``messages_received()``, and the call log's;
    - ``grpc_client_handling_seconds``: a histogram of seconds from the call's
      start to its end, every attempt and backoff included.

    Labels: ``grpc_type`` (``unary``, ``client_stream``, ``server_stream``,
    ``bidi_stream``), ``grpc_service`` (fully qualified, ``user.UserService``)
    and ``grpc_method``; no value ever comes from metadata or messages, so no
    secret can reach a label. A stream is one call: counted when it starts,
    and handled once, with its final status and message counts.

    And this library's own, under the same labels (``GrpcClientMetricSet``):
    ``grpc_client_retries_total`` (attempts after a call's first),
    ``grpc_client_bulkhead_rejected_total`` and
    ``grpc_client_circuit_breaker_rejected_total`` (calls refused unsent: a
    response of 0 attempts that is RESOURCE_EXHAUSTED or UNAVAILABLE, which
    only the bulkhead and the breaker give; a stage listed after this one
    that answers calls itself with those codes would be counted there too).

    A call that ends with an exception instead of a response (``abandoned``:
    a cancelled task, ``KeyboardInterrupt``, a stage that raised) is handled
    too, so started minus handled stays the calls in flight: ``Canceled``
    when the exception is not an ``Exception`` (``asyncio.CancelledError``,
    ``KeyboardInterrupt``), ``Unknown`` when it is (a bug), as grpc-go labels
    a context cancelled and an error that is no status. A unary one counts
    its 1 and 1, as Go's does; a stream's messages are not counted: no
    response says how many there were. A stream its caller closed before its
    end is handled ``Canceled`` too, where Go's interceptor never counts it
    handled (it reports only a read that found the end): in Go, started minus
    handled grows by every stream left early; here it stays the calls in
    flight.

    Series appear at their first count, which ``rate()`` and ``increase()``
    cannot see (the series had no earlier sample): ``initialize_metrics``
    makes a service's series at 0 beforehand, as Go's ``InitializeMetrics``
    does for a server.

    Two gauges come from the clients themselves, read at each scrape through
    the ``GrpcClientView`` each client built with this stage hands to
    ``attached`` (``GrpcClientGauges``), labelled ``grpc_target``:
    ``grpc_client_circuit_breaker_state`` (with ``state``: the number of the
    target's clients whose breaker is ``closed``, ``open`` or ``half_open``)
    and ``grpc_client_bulkhead_in_flight`` (the calls holding a bulkhead slot,
    summed over the target's clients). A client closed or garbage-collected
    leaves them.

    ``registry`` (``prometheus_client.REGISTRY`` unless given), ``namespace``
    (a prefix for every name, ``""`` for none) and ``buckets`` (seconds,
    increasing; Go's ``DefBuckets`` unless given) pick the metrics; stages,
    clients and server interceptors asking for the same registry and
    namespace share them, so making this twice is safe. Raises
    ``InvalidPrometheusMetrics`` for arguments that cannot make metrics and
    ``PrometheusMetricsConflict`` when the registry holds them with other
    buckets, or holds the same names from elsewhere (``RegisteredMetricSets``).
    """

    def __init__(
        self,
        registry: CollectorRegistry = REGISTRY,
        *,
        namespace: str = "",
        buckets: Sequence[float] = GO_DEFAULT_BUCKETS,
    ) -> None:
        self._metrics = RegisteredMetricSets.client(registry, namespace, buckets)

    def attached(self, view: GrpcClientView) -> None:
        self._metrics.gauges.watch(view)

    def initialize_metrics(self, *services: str | ServiceDescriptor) -> None:
        """Make every series of these services' methods now, at 0, as Go's ``InitializeMetrics``.

        ``services`` are fully qualified names (``"user.UserService"``, found in
        the protobuf descriptor pool once their ``*_pb2`` module is imported)
        or ``ServiceDescriptor``s (``user_pb2.DESCRIPTOR.services_by_name[...]``).
        Each method gets its ``started``, ``msg_sent``, ``msg_received``,
        ``handling_seconds``, retry and rejection series, and its ``handled``
        series for all 17 status codes, so ``rate()`` and ``increase()`` see a
        method's first call and first failure of each code, which they miss
        on a series born at its first count. That is 37 series a method with
        Go's 11 buckets (and prometheus-client's ``_created`` beside them).
        Raises ``InvalidPrometheusMetrics`` for a service that is neither, or
        not in the pool (``GrpcServiceMethods``), before making any.
        """
        for path, kind in GrpcServiceMethods.of(services):
            self._metrics.initialize(path, kind)

    def start(self, invocation: GrpcInvocation) -> CallState:
        method = invocation.method
        series = self._metrics.series(method.path, method.kind)
        counted = series.grpc
        counted.started.inc()
        if counted.unary:
            counted.msg_sent.inc()
        return series, perf_counter()

    def finished(
        self, state: CallState, invocation: GrpcInvocation, response: GrpcResponse
    ) -> GrpcResponse:
        series, started = state
        method = series.grpc
        code = response.status_code()
        method.ended(code, perf_counter() - started)
        if method.unary:
            method.msg_received.inc()
        else:
            series.stream_ended(response)
        attempts = response.attempts()
        if attempts > 1:
            series.retries.inc(attempts - 1)
        elif attempts == 0:
            if code is _BULKHEAD_FULL:
                series.bulkhead_rejected.inc()
            elif code is _CIRCUIT_OPEN:
                series.circuit_breaker_rejected.inc()
        return response

    def abandoned(self, state: CallState, invocation: GrpcInvocation, error: BaseException) -> None:
        series, started = state
        code = (
            grpc.StatusCode.UNKNOWN if isinstance(error, Exception) else grpc.StatusCode.CANCELLED
        )
        method = series.grpc
        if method.unary:
            method.msg_received.inc()
        method.ended(code, perf_counter() - started)


class PrometheusServerInterceptor(HandlerWrappingInterceptor):
    """go-grpc-middleware's Prometheus server metrics for a ``grpc.server``, every call kind.

    ``grpc.server(executor, interceptors=[PrometheusServerInterceptor()])``
    counts, per method, ``grpc_server_started_total``,
    ``grpc_server_handled_total`` (with ``grpc_code``, Go's spelling, of the
    status the handler ended with: an abort's code, UNKNOWN for an exception,
    CANCELLED or DEADLINE_EXCEEDED for a call grpc stopped),
    ``grpc_server_msg_received_total`` and ``grpc_server_msg_sent_total`` (every
    message, streamed ones one by one) and ``grpc_server_handling_seconds`` (a
    histogram of seconds), labelled ``grpc_type``, ``grpc_service`` and
    ``grpc_method`` as go-grpc-middleware's ``providers/prometheus`` labels them
    (``MeasuredHandler``). A method the server does not know passes through
    uncounted, to be answered UNIMPLEMENTED.

    ``registry``, ``namespace`` and ``buckets`` (seconds) as for
    ``PrometheusClientMetrics``: interceptors asking for the same registry and
    namespace share one set of metrics. Raises ``InvalidPrometheusMetrics`` and
    ``PrometheusMetricsConflict`` (``RegisteredMetricSets``).
    ``AsyncPrometheusServerInterceptor`` is the same for ``grpc.aio.server``.
    """

    def __init__(
        self,
        registry: CollectorRegistry = REGISTRY,
        *,
        namespace: str = "",
        buckets: Sequence[float] = GO_DEFAULT_BUCKETS,
    ) -> None:
        self._metrics = RegisteredMetricSets.server(registry, namespace, buckets)

    def initialize_metrics(self, *services: str | ServiceDescriptor) -> None:
        """Make every series of the services served now, at 0: Go's ``InitializeMetrics``.

        As ``PrometheusClientMetrics.initialize_metrics``: ``services`` are
        fully qualified names or ``ServiceDescriptor``s, and each method gets
        its ``started``, ``msg_received``, ``msg_sent`` and
        ``handling_seconds`` series, and ``handled`` for all 17 codes (34
        series a method with Go's 11 buckets). grpc's Python servers cannot
        list the services they serve, as grpc-go's ``GetServiceInfo`` does,
        so they are named here.
        Raises ``InvalidPrometheusMetrics`` (``GrpcServiceMethods``).
        """
        for path, kind in GrpcServiceMethods.of(services):
            self._metrics.initialize(path, kind)

    def wrap(self, handler: Handler, details: grpc.HandlerCallDetails) -> Handler:
        return MeasuredHandler.wrap(handler, details.method, self._metrics, aio=False)


__all__ = [
    "GO_DEFAULT_BUCKETS",
    "AsyncPrometheusServerInterceptor",
    "PrometheusClientMetrics",
    "PrometheusServerInterceptor",
]
