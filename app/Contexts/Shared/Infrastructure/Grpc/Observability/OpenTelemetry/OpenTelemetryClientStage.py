from __future__ import annotations

from time import perf_counter

import grpc
from opentelemetry import metrics, propagate, trace
from opentelemetry.propagators.textmap import TextMapPropagator
from opentelemetry.trace import SpanKind, Status, StatusCode

from app.Contexts.Shared.Infrastructure.Grpc.Client import (
    GrpcCallStage,
    GrpcInvocation,
    GrpcResponse,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Metadata.GrpcMetadata import MetadataPairs
from app.Contexts.Shared.Infrastructure.Grpc.Client.Metadata.OutgoingMetadata import TRACE_ID_KEY
from app.Contexts.Shared.Infrastructure.Grpc.Observability.OpenTelemetry.ActiveSpanIds import (
    ActiveSpanIds,
)
from app.Contexts.Shared.Infrastructure.Grpc.Observability.OpenTelemetry.ClientCallSpan import (
    ClientCallSpan,
)
from app.Contexts.Shared.Infrastructure.Grpc.Observability.OpenTelemetry.OpenTelemetrySetup import (
    OpenTelemetrySetup,
)
from app.Contexts.Shared.Infrastructure.Grpc.Observability.OpenTelemetry.RpcMethodAttributes import (  # noqa: E501
    RpcMethodAttributes,
)
from app.Contexts.Shared.Infrastructure.Grpc.Observability.OpenTelemetry.RpcSemanticConventions import (  # noqa: E501
    ADVISED_BUCKETS,
    RpcSemanticConventions,
)
from app.Contexts.Shared.Infrastructure.Grpc.Observability.OpenTelemetry.TraceIdParent import (
    TraceIdParent,
)
from app.Contexts.Shared.Infrastructure.Http.Context.RequestContext import RequestContext

_OK, _UNKNOWN, _CANCELLED = grpc.StatusCode.OK, grpc.StatusCode.UNKNOWN, grpc.StatusCode.CANCELLED
_CLIENT = SpanKind.CLIENT
_set_span_in_context = trace.set_span_in_context
_get_current_span = trace.get_current_span


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
    it also makes ``RequestContext`` follow spans (``ActiveSpanIds``). Raises
    ``InvalidOpenTelemetrySetup`` for an argument of the wrong kind.
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
        self._methods: dict[tuple[str, str], RpcMethodAttributes] = {}
        ActiveSpanIds.follow()

    def start(self, invocation: GrpcInvocation) -> ClientCallSpan:
        key = (invocation.method.path, invocation.target)
        method = self._methods.get(key)
        if method is None:
            method = self._methods[key] = RpcMethodAttributes(self._conventions, *key)
        parent, names_trace = None, False
        if not _get_current_span().get_span_context().is_valid:
            if RequestContext.get_context().trace_id is None:
                names_trace = True
            else:
                parent = TraceIdParent.context(invocation.trace_id)
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
