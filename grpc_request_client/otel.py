"""OpenTelemetry for the client and the servers: spans, propagation, ``rpc.client.call.duration``.

Needs opentelemetry-api, the ``otel`` extra (``pip install grpc-request-client[otel]``);
an SDK and an exporter are the service's choice. ``OpenTelemetryClientStage`` is a call
stage; ``OpenTelemetryServerInterceptor`` and ``AsyncOpenTelemetryServerInterceptor`` trace
what a server serves.
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Mapping
from functools import lru_cache, partial
from importlib.metadata import PackageNotFoundError, version
from time import perf_counter
from typing import Any, cast

import grpc
import grpc.aio
from opentelemetry import context as otel_context
from opentelemetry import metrics, propagate, trace
from opentelemetry.context import Context
from opentelemetry.propagators.textmap import Getter, TextMapPropagator
from opentelemetry.trace import (
    NonRecordingSpan,
    Span,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
)
from opentelemetry.util.types import AttributeValue

from grpc_request_client.context import RequestContext, SpanIds
from grpc_request_client.errors import InvalidOpenTelemetrySetup
from grpc_request_client.invocation import GrpcInvocation
from grpc_request_client.metadata import TRACE_ID_KEY, MetadataPairs
from grpc_request_client.response import GrpcResponse
from grpc_request_client.server import (
    AsyncHandlerWrappingInterceptor,
    Handler,
    HandlerWrappingInterceptor,
    ObservedHandler,
)
from grpc_request_client.stages import GrpcCallStage
from grpc_request_client.status import SERVER_ERROR_CODES

_get_current_span = trace.get_current_span


class ActiveSpanIds:
    """The active OpenTelemetry span's ids, as ``RequestContext`` and the call logs take them.

    ``follow()`` makes ``RequestContext`` ask for them (the stage and the
    server interceptors call it when they are made), so while a span is
    active the request's trace id is the span's trace id: log lines,
    ``x-trace-id`` and the trace agree.
    """

    @staticmethod
    def current() -> SpanIds | None:
        """``(trace id, span id)`` of the active span, in W3C's lowercase hex; ``None`` if none."""
        context = _get_current_span().get_span_context()
        if not context.is_valid:
            return None
        return format(context.trace_id, "032x"), format(context.span_id, "016x")

    @staticmethod
    def follow() -> None:
        """Make ``RequestContext`` take its trace id from the active span from now on."""
        RequestContext.follow_spans(ActiveSpanIds.current)


Carrier = Mapping[str, str]


class MetadataGetter(Getter[Carrier]):
    """How a propagator reads a call's metadata, taken as the text pairs it holds.

    ``ServerTracing`` gives it the call's metadata as a mapping of each text
    key to its first value (binary ``-bin`` values are no propagator's).
    """

    def get(self, carrier: Carrier, key: str) -> list[str] | None:
        value = carrier.get(key)
        return None if value is None else [value]

    def keys(self, carrier: Carrier) -> list[str]:
        return list(carrier)


# The instrumentation scope: this library, by its distribution name and version.
SCOPE = "grpc-request-client"
try:
    _VERSION: str | None = version(SCOPE)
except PackageNotFoundError:  # run from a checkout that was never installed
    _VERSION = None


class OpenTelemetrySetup:
    """The providers a stage or an interceptor was given, checked; the global ones otherwise.

    Raises ``InvalidOpenTelemetrySetup`` for a ``tracer_provider`` that is not
    a ``TracerProvider``, a ``meter_provider`` that is not a ``MeterProvider``
    or a ``propagator`` that is not a ``TextMapPropagator``. The tracer and
    meter are named after this library (its instrumentation scope); made from
    the global providers, they follow a provider configured later.
    """

    def __init__(
        self,
        tracer_provider: object = None,
        meter_provider: object = None,
        propagator: object = None,
    ) -> None:
        _check(tracer_provider, trace.TracerProvider, "tracer_provider")
        _check(meter_provider, metrics.MeterProvider, "meter_provider")
        _check(propagator, TextMapPropagator, "propagator")
        self._tracer_provider = cast("trace.TracerProvider | None", tracer_provider)
        self._meter_provider = cast("metrics.MeterProvider | None", meter_provider)

    def tracer(self) -> trace.Tracer:
        return trace.get_tracer(SCOPE, _VERSION, self._tracer_provider)

    def meter(self) -> metrics.Meter:
        return metrics.get_meter(SCOPE, _VERSION or "", self._meter_provider)


def _check(value: object, kind: type, name: str) -> None:
    if value is not None and not isinstance(value, kind):
        raise InvalidOpenTelemetrySetup(
            f"{name} must be an {kind.__module__}.{kind.__qualname__} or None, "
            f"got {type(value).__qualname__}"
        )


Attributes = dict[str, AttributeValue]
OPT_IN = "OTEL_SEMCONV_STABILITY_OPT_IN"
# Ended-span attribute sets kept, by status code and attempt count (counts are small).
_MOST_ATTEMPT_COUNTS = 256
# Methods whose attributes are kept, the last used: by path on a server (where a handler that
# serves any path lets callers make paths up), by path and target in a client stage (which
# serves every client it is given, whatever their targets).
KEPT_METHOD_ATTRIBUTES = 1024
# The advised bucket boundaries of rpc.client.call.duration and rpc.server.call.duration, seconds.
ADVISED_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10)


class RpcSemanticConventions:
    """The attributes of OpenTelemetry's RPC semantic conventions for a gRPC call, in one place.

    The current conventions (``semantic-conventions``' RPC pages, v1.39 on):
    ``rpc.system.name`` = ``grpc``; ``rpc.method``, fully qualified
    (``user.UserService/GetUser``), which is also the span's name; the status
    code as its name (``OK``, ``DEADLINE_EXCEEDED``) under
    ``rpc.response.status_code`` (v1.39 to v1.44) and ``rpc.status_code`` (its
    name since the August 2026 rename), both set so queries written for either
    release find it; and ``error.type``, the status code, when the call failed.

    ``OTEL_SEMCONV_STABILITY_OPT_IN`` picks the set, as the conventions'
    migration guide says: ``rpc`` (or no value: this library has no older
    telemetry to stay compatible with, so it starts on the current set) emits
    the current attributes only; ``rpc/dup`` emits the older ones too: on
    spans (``rpc.system``, ``rpc.service``, ``rpc.grpc.status_code`` as an
    integer), and as the ``rpc.client.duration`` histogram in milliseconds
    (``rpc.client.call.duration`` keeps the current set alone). Where both sets
    use one name (``rpc.method``: fully qualified now, the bare method before),
    a span keeps the current value; the older histogram, which is a metric of
    its own, has the older value. Read once, when a stage or interceptor is
    made, or given as ``opt_in``.
    """

    def __init__(self, opt_in: str | None = None) -> None:
        chosen = os.environ.get(OPT_IN, "") if opt_in is None else opt_in
        self.duplicate = "rpc/dup" in {token.strip() for token in chosen.split(",")}
        self._ended: dict[tuple[grpc.StatusCode, bool, bool], Attributes] = {}
        self._client_spans: dict[tuple[grpc.StatusCode, int | None], Attributes] = {}

    @staticmethod
    def method(path: str) -> Attributes:
        """What names method ``path`` (``/package.Service/Method``) in a current-set metric."""
        return {"rpc.system.name": "grpc", "rpc.method": path[1:]}

    def span_method(self, path: str) -> Attributes:
        """What names the method on a span: the current set, and the older one with ``rpc/dup``."""
        attributes = self.method(path)
        if self.duplicate:
            attributes["rpc.system"] = "grpc"
            attributes["rpc.service"] = path[1:].rpartition("/")[0]
        return attributes

    @staticmethod
    def older_method(path: str) -> Attributes:
        """What named the method in the older conventions, for ``rpc.client.duration``."""
        service, _, method = path[1:].rpartition("/")
        return {"rpc.system": "grpc", "rpc.service": service, "rpc.method": method}

    def ended(self, code: grpc.StatusCode) -> Mapping[str, AttributeValue]:
        """How a call ended with ``code``, in a current-set metric: made once per code."""
        return self._status(code, on_span=False, served=False)

    def span_ended(
        self, code: grpc.StatusCode, attempts: int | None
    ) -> Mapping[str, AttributeValue]:
        """How a client's call ended with ``code`` after ``attempts``, on its span, in one mapping.

        ``rpc/dup``: both sets; ``grpc.attempts`` when it is not 1 (0: refused
        unsent, 2 and more: retried) and not ``None`` (a call abandoned with an
        exception), as the HTTP conventions set ``http.request.resend_count``
        only for a request resent. Made once per code and count.
        """
        key = (code, attempts)
        found = self._client_spans.get(key)
        if found is None:
            found = dict(self._status(code, on_span=True, served=False))
            if attempts is not None and attempts != 1:
                found["grpc.attempts"] = attempts
            if len(self._client_spans) < _MOST_ATTEMPT_COUNTS:
                self._client_spans[key] = found
        return found

    def served(self, code: grpc.StatusCode) -> Mapping[str, AttributeValue]:
        """How a server's call ended with ``code``, on its span; ``error.type`` if its fault."""
        return self._status(code, on_span=True, served=True)

    @staticmethod
    def older_ended(code: grpc.StatusCode) -> Attributes:
        """The older conventions' status: ``rpc.grpc.status_code``, an integer."""
        return {"rpc.grpc.status_code": code.value[0]}

    @staticmethod
    def is_server_error(code: grpc.StatusCode) -> bool:
        """Whether a server's span for a call that ended with ``code`` is an error."""
        return code in SERVER_ERROR_CODES

    def _status(
        self, code: grpc.StatusCode, *, on_span: bool, served: bool
    ) -> Mapping[str, AttributeValue]:
        key = (code, on_span, served)
        found = self._ended.get(key)
        if found is None:
            found = {"rpc.response.status_code": code.name, "rpc.status_code": code.name}
            failed = self.is_server_error(code) if served else code is not grpc.StatusCode.OK
            if failed:
                found["error.type"] = code.name
            if on_span and self.duplicate:
                found.update(self.older_ended(code))
            self._ended[key] = found
        return found


# Resolver schemes whose rest is host[:port] after "scheme:[//authority/]" (gRPC's naming.md).
_HOST_PORT_SCHEMES = ("dns:", "ipv4:", "ipv6:")
_AUTHORITY = re.compile(r"//[^/]*/")
_BRACKETED = re.compile(r"\[([^\]]+)\](?::(\d+))?")
_HOST_AND_PORT = re.compile(r"([^:\[\]]+)(?::(\d+))?")


class RpcServerAddress:
    """``server.address`` and ``server.port`` of a client's target, as the RPC conventions ask.

    Parsed from the target the client was given (OpenTelemetry RPC semantic
    conventions, ``server.address``, and their gRPC page): ``dns:///host:50051``
    and ``host:50051`` give ``host`` and ``50051``; an IPv6 literal loses its
    brackets (``[::1]:50051`` gives ``::1``, ``ipv6:::1`` gives ``::1``, no
    port: gRPC's naming brackets an address that has one); ``unix:///path``
    (and ``unix:path``, ``unix-abstract:name``) give the path and no port; a
    target without a port gives no port. A target that names several
    addresses (``ipv4:10.0.0.1:50051,10.0.0.2:50051``) is kept whole as the
    address, with no port, as the conventions' own example has it: no one of
    them is the server. Anything else (another resolver's scheme) is kept
    whole as the address, with no port.
    """

    @staticmethod
    def of(target: str) -> Attributes:
        """``server.address`` of ``target``, and ``server.port`` when it has one."""
        if target.startswith(("unix:", "unix-abstract:")):
            path = target.split(":", 1)[1]
            return {"server.address": path[2:] if path.startswith("//") else path}
        rest = target
        for scheme in _HOST_PORT_SCHEMES:
            if target.startswith(scheme):
                rest = _AUTHORITY.sub("", target[len(scheme) :], count=1)
                break
        if "," in rest:
            return {"server.address": target}
        if target.startswith("ipv6:") and not rest.startswith("["):
            return {"server.address": rest}
        found = _BRACKETED.fullmatch(rest) or _HOST_AND_PORT.fullmatch(rest)
        if found is None:
            return {"server.address": target}
        host, port = found.groups()
        if port is None:
            return {"server.address": host}
        return {"server.address": host, "server.port": int(port)}


_attach, _detach = otel_context.attach, otel_context.detach


class ServerCallSpan:
    """One server call's SERVER span: a ``HandlerCall`` that makes it current in each step.

    Every step of the handler runs with the span current (in the context the
    caller's propagated one was extracted into, baggage included), so a span
    or a ``GrpcClient`` call the handler makes is its child. ``ended`` sets
    the status attributes and ends the span; a status the conventions count as
    the server's fault (``RpcSemanticConventions.is_server_error``) makes it an
    error, with ``error.type``; the others (the caller's: NOT_FOUND,
    INVALID_ARGUMENT...) do not.
    """

    __slots__ = ("_context", "_conventions", "_span")

    def __init__(self, span: Span, parent: Context, conventions: RpcSemanticConventions) -> None:
        self._span = span
        self._context = trace.set_span_in_context(span, parent)
        self._conventions = conventions

    def enter(self) -> Any:
        """Make the span current for a step: the token ``leave`` detaches."""
        return _attach(self._context)

    def leave(self, token: Any) -> None:
        """Make current again what was before the step, on the same thread or task."""
        _detach(token)

    def ended(self, code: grpc.StatusCode) -> None:
        """Set the status of a call that ended with ``code``, and end the span."""
        span, conventions = self._span, self._conventions
        span.set_attributes(conventions.served(code))
        if conventions.is_server_error(code):
            span.set_status(Status(StatusCode.ERROR, code.name))
        span.end()


_HEX = frozenset("0123456789abcdef")
_INVALID = "0" * 32
_SAMPLED = TraceFlags(TraceFlags.SAMPLED)
# The last trace id given a parent, and that parent: the calls of one request share it.
_last: list[tuple[str, NonRecordingSpan]] = []


class TraceIdParent:
    """A remote parent that carries a trace id which arrived without a span: ``x-trace-id``.

    A request whose trace id came from a service that does not speak W3C
    Trace Context (an ``x-trace-id`` header from a gateway, an id a job
    opened its ``RequestContext`` with) has no span to be the child of. Rather
    than start a trace of another id, and so split that request's logs from
    its trace, its first span is given a remote parent holding that trace id:
    the uninstrumented caller, as a backend shows it (a parent it never
    received). Only a W3C trace id can be one (32 lowercase hex digits, not all
    zero); the parent is marked sampled, since the caller made no decision to
    honour. The calls of one request (one trace id after another) share one
    made-up parent, so a backend shows one missing caller per request; its
    span id is random as the SDK's own are (``random.getrandbits``).
    """

    @staticmethod
    def context(trace_id: str, context: Context | None = None) -> Context | None:
        """``context`` with that parent set, ``None`` when ``trace_id`` cannot name a trace."""
        last = _last[0] if _last else None
        if last is not None and last[0] == trace_id:
            return trace.set_span_in_context(last[1], context)
        if len(trace_id) != 32 or not _HEX.issuperset(trace_id) or trace_id == _INVALID:
            return None
        parent = NonRecordingSpan(
            SpanContext(
                trace_id=int(trace_id, 16),
                span_id=random.getrandbits(64) | 1,
                is_remote=True,
                trace_flags=_SAMPLED,
            )
        )
        _last[:] = [(trace_id, parent)]
        return trace.set_span_in_context(parent, context)


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
    handler runs (``ServerCallSpan``, through ``ObservedHandler``). A method's
    attributes are made once and kept for the ``KEPT_METHOD_ATTRIBUTES``
    methods called last. Raises ``InvalidOpenTelemetrySetup`` for a provider
    or propagator of the wrong kind.
    """

    def __init__(
        self, tracer_provider: trace.TracerProvider | None, propagator: TextMapPropagator | None
    ) -> None:
        self._tracer = OpenTelemetrySetup(tracer_provider, None, propagator).tracer()
        self._propagator = propagator
        self._conventions = RpcSemanticConventions()
        self._attributes = lru_cache(maxsize=KEPT_METHOD_ATTRIBUTES)(self._conventions.span_method)
        ActiveSpanIds.follow()

    def wrap(self, handler: Handler, details: grpc.HandlerCallDetails, *, aio: bool) -> Handler:
        """``handler`` traced as method ``details.method``, its parent in the call's metadata."""
        path = details.method
        attributes = self._attributes(path)
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


class AsyncOpenTelemetryServerInterceptor(AsyncHandlerWrappingInterceptor):
    """``OpenTelemetryServerInterceptor`` for a ``grpc.aio.server``, every kind of handler.

    ``grpc.aio.server(interceptors=[AsyncOpenTelemetryServerInterceptor()])``:
    a SERVER span per call, the caller's span its parent, current while the
    handler runs: coroutines, async generators and plain handlers alike (plain
    ones run on the server's thread pool, each step with the span current).
    ``tracer_provider`` and ``propagator`` as for the sync interceptor.
    """

    def __init__(
        self,
        *,
        tracer_provider: trace.TracerProvider | None = None,
        propagator: TextMapPropagator | None = None,
    ) -> None:
        self._tracing = ServerTracing(tracer_provider, propagator)

    def wrap(self, handler: Handler, details: grpc.HandlerCallDetails) -> Handler:
        return self._tracing.wrap(handler, details, aio=True)


class RpcMethodAttributes:
    """One method on one target, named for spans and metrics once rather than on every call.

    ``name`` is the span name (``rpc.method``: ``user.UserService/GetUser``);
    ``span`` the attributes a span starts with (the method's and
    ``server.address``/``server.port``); ``metric(code)`` the attributes of a
    ``rpc.client.call.duration`` point for a call that ended with ``code`` (the
    current conventions' only, whatever the mode),
    made once per code; ``older_metric(code)`` those of the older
    ``rpc.client.duration``.
    """

    __slots__ = ("_conventions", "_current", "_metrics", "_older", "name", "span")

    def __init__(self, conventions: RpcSemanticConventions, path: str, target: str) -> None:
        self._conventions = conventions
        self.name = path[1:]
        address = RpcServerAddress.of(target)
        self.span: Attributes = {**conventions.span_method(path), **address}
        self._current: Attributes = {**conventions.method(path), **address}
        self._older: Attributes = {**conventions.older_method(path), **address}
        self._metrics: dict[grpc.StatusCode, Mapping[str, AttributeValue]] = {}

    def metric(self, code: grpc.StatusCode) -> Mapping[str, AttributeValue]:
        found = self._metrics.get(code)
        if found is None:
            found = self._metrics[code] = {**self._current, **self._conventions.ended(code)}
        return found

    def older_metric(self, code: grpc.StatusCode) -> Attributes:
        return {**self._older, **self._conventions.older_ended(code)}


class ClientCallSpan:
    """A call's state in ``OpenTelemetryClientStage``: its span, what names it, when it began.

    ``began`` is a ``perf_counter`` reading, for ``rpc.client.call.duration``;
    ``made_up_parent`` whether the span's parent is a ``TraceIdParent`` (a trace
    id with no span); ``names_trace`` whether the span's trace id is to be sent
    as ``x-trace-id`` (the request context had none of its own).
    """

    __slots__ = ("began", "made_up_parent", "method", "names_trace", "span")

    def __init__(
        self, span: Span, method: RpcMethodAttributes, *, made_up_parent: bool, names_trace: bool
    ) -> None:
        self.span = span
        self.method = method
        self.made_up_parent = made_up_parent
        self.names_trace = names_trace
        self.began = perf_counter()


_OK, _UNKNOWN, _CANCELLED = grpc.StatusCode.OK, grpc.StatusCode.UNKNOWN, grpc.StatusCode.CANCELLED
_CLIENT = SpanKind.CLIENT
_set_span_in_context = trace.set_span_in_context


class OpenTelemetryClientStage(GrpcCallStage[ClientCallSpan]):
    """OpenTelemetry for every call and stream of a client: a span, its propagation, its duration.

    ``GrpcClient(target, stages=[OpenTelemetryClientStage()])`` turns it on. Per
    call (a stream is one call, from its opening to its end):

    - one span of kind CLIENT named ``rpc.method`` (``user.UserService/GetUser``),
      attributed as ``RpcSemanticConventions`` says (``rpc.system.name``,
      ``rpc.method``, the status code's name, ``error.type`` when it failed, and
      ``server.address``/``server.port`` parsed from the target: see
      ``RpcServerAddress``); every status but OK sets the span's status to
      ERROR, as the conventions ask of a client, described by the status
      code's name alone (grpc's details may quote a server's exception, and
      so what a request carried). It is the active span's child; outside any
      span, the child of a remote parent holding the request context's trace
      id when that is a W3C one (``TraceIdParent``), so a trace id that
      arrived as ``x-trace-id`` stays the trace's; with no request context, a
      new trace. It is never made current (a stream outlives any scope).
    - its context sent in the metadata by the propagator (the global one,
      ``tracecontext,baggage`` by default: ``traceparent``, ``tracestate``,
      ``baggage``), replacing pairs of those names; ``x-trace-id`` still goes
      out, for services without OpenTelemetry: the request context's, or,
      with none, the new trace's id (so the call log names the trace).
    - retries visible: ``grpc.attempts`` (attempts made) on the span when it
      was not one (0 for a call the bulkhead or breaker refused), and when
      there was more than one, a ``grpc.attempt`` event per attempt with
      ``grpc.attempt.number`` (from 1), ``grpc.status`` (its status code's
      name) and ``grpc.backoff_seconds`` (before the next, when one followed),
      named after gRFC A66's per-attempt metrics.
    - ``rpc.client.call.duration``: a histogram of seconds from start to end
      (every attempt and backoff), with the conventions' advised buckets and
      the span's attributes and status; with ``OTEL_SEMCONV_STABILITY_OPT_IN``
      ``rpc/dup``, the older ``rpc.client.duration`` in milliseconds too.

    A call that ends with an exception instead of a response (a cancelled
    task, ``KeyboardInterrupt``, a stage that raised) ends its span as
    CANCELLED when the exception is not an ``Exception``, UNKNOWN when it is
    (``error.type`` too, on the span and the histogram alike); its message is
    not recorded, since it may hold what a request carried.

    ``tracer_provider``, ``meter_provider`` and ``propagator`` default to the
    global ones, looked up when used, so a provider set up after the client was
    made is used. With no SDK configured the API's no-op tracer and meter
    cost a few calls, and a context that came in is still passed on. Making
    it also makes ``RequestContext`` follow spans (``ActiveSpanIds``). What
    names a method on a target is made once and kept for the
    ``KEPT_METHOD_ATTRIBUTES`` pairs called last, however many clients share
    the stage. Raises ``InvalidOpenTelemetrySetup`` for an argument of the
    wrong kind.
    """

    def __init__(
        self,
        *,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: metrics.MeterProvider | None = None,
        propagator: TextMapPropagator | None = None,
    ) -> None:
        setup = OpenTelemetrySetup(tracer_provider, meter_provider, propagator)
        self._conventions = conventions = RpcSemanticConventions()
        self._tracer = setup.tracer()
        meter = setup.meter()
        self._propagator = propagator
        self._duration = meter.create_histogram(
            "rpc.client.call.duration",
            unit="s",
            description="Measures the duration of outbound remote procedure calls (RPC).",
            explicit_bucket_boundaries_advisory=ADVISED_BUCKETS,
        )
        self._older_duration = (
            meter.create_histogram(
                "rpc.client.duration",
                unit="ms",
                description="Measures the duration of outbound RPC.",
            )
            if conventions.duplicate
            else None
        )
        self._methods = lru_cache(maxsize=KEPT_METHOD_ATTRIBUTES)(
            partial(RpcMethodAttributes, conventions)
        )
        ActiveSpanIds.follow()

    def start(self, invocation: GrpcInvocation) -> ClientCallSpan:
        method = self._methods(invocation.method.path, invocation.target)
        parent, names_trace = None, False
        if not _get_current_span().get_span_context().is_valid:
            context_trace_id = RequestContext.get_context().trace_id
            if context_trace_id is None:
                names_trace = True
            else:  # the id sent, or the context's when the client sends none (``sent_ids``)
                parent = TraceIdParent.context(invocation.trace_id or context_trace_id)
        span = self._tracer.start_span(method.name, parent, kind=_CLIENT, attributes=method.span)
        return ClientCallSpan(
            span, method, made_up_parent=parent is not None, names_trace=names_trace
        )

    def metadata(self, state: ClientCallSpan, metadata: MetadataPairs) -> MetadataPairs:
        span = state.span
        if state.made_up_parent and not span.is_recording():
            return metadata  # no SDK: the made-up parent is no span to continue
        carrier: dict[str, str] = {}
        propagator = self._propagator or propagate.get_global_textmap()
        propagator.inject(carrier, context=_set_span_in_context(span))
        if state.names_trace and span.get_span_context().is_valid:
            carrier[TRACE_ID_KEY] = format(span.get_span_context().trace_id, "032x")
        if not carrier:
            return metadata
        kept = tuple(pair for pair in metadata if pair[0] not in carrier)
        return (*kept, *carrier.items())

    def attempt_ended(
        self, state: ClientCallSpan, number: int, response: GrpcResponse, backoff: float | None
    ) -> None:
        if number == 1 and backoff is None:
            return
        attributes: dict[str, str | int | float] = {
            "grpc.attempt.number": number,
            "grpc.status": response.status_code().name,
        }
        if backoff is not None:
            attributes["grpc.backoff_seconds"] = backoff
        state.span.add_event("grpc.attempt", attributes)

    def finished(
        self, state: ClientCallSpan, invocation: GrpcInvocation, response: GrpcResponse
    ) -> GrpcResponse:
        code = response.status_code()
        span = state.span
        if code is not _OK:
            span.set_status(Status(StatusCode.ERROR, code.name))
        self._ended(state, code, response.attempts())
        return response

    def abandoned(
        self, state: ClientCallSpan, invocation: GrpcInvocation, error: BaseException
    ) -> None:
        code = _UNKNOWN if isinstance(error, Exception) else _CANCELLED
        state.span.set_status(Status(StatusCode.ERROR, code.name))
        self._ended(state, code, None)

    def _ended(self, state: ClientCallSpan, code: grpc.StatusCode, attempts: int | None) -> None:
        """End the span with the status attributes, and record the call's duration."""
        seconds = perf_counter() - state.began
        span, method = state.span, state.method
        span.set_attributes(self._conventions.span_ended(code, attempts))
        span.end()
        self._duration.record(seconds, method.metric(code))
        if self._older_duration is not None:
            self._older_duration.record(seconds * 1000, method.older_metric(code))


class OpenTelemetryServerInterceptor(HandlerWrappingInterceptor):
    """A SERVER span for every call of a ``grpc.server``, a child of the caller's propagated span.

    ``grpc.server(executor, interceptors=[OpenTelemetryServerInterceptor()])``:
    the caller's ``traceparent`` (and ``baggage``) are extracted by the
    propagator, so a chain A → B → C is one trace, and the handler runs with
    the span current, so the calls it makes are its children (``ServerTracing``).
    ``RequestContext``'s trace id is then the span's. ``tracer_provider`` and
    ``propagator`` default to the global ones; raises
    ``InvalidOpenTelemetrySetup`` for one of the wrong kind. A method the
    server does not know passes through, to be answered UNIMPLEMENTED.
    ``AsyncOpenTelemetryServerInterceptor`` is the same for ``grpc.aio.server``.
    """

    def __init__(
        self,
        *,
        tracer_provider: trace.TracerProvider | None = None,
        propagator: TextMapPropagator | None = None,
    ) -> None:
        self._tracing = ServerTracing(tracer_provider, propagator)

    def wrap(self, handler: Handler, details: grpc.HandlerCallDetails) -> Handler:
        return self._tracing.wrap(handler, details, aio=False)


__all__ = [
    "ADVISED_BUCKETS",
    "AsyncOpenTelemetryServerInterceptor",
    "OpenTelemetryClientStage",
    "OpenTelemetryServerInterceptor",
]
