from __future__ import annotations

from collections.abc import Sequence
from time import perf_counter

import grpc
from prometheus_client import REGISTRY, CollectorRegistry

from app.Contexts.Shared.Infrastructure.Grpc.Client import (
    GrpcCallStage,
    GrpcClientView,
    GrpcInvocation,
    GrpcResponse,
)
from app.Contexts.Shared.Infrastructure.Grpc.Observability.Prometheus.ClientMethodSeries import (
    ClientMethodSeries,
)
from app.Contexts.Shared.Infrastructure.Grpc.Observability.Prometheus.GrpcMetricSet import (
    GO_DEFAULT_BUCKETS,
)
from app.Contexts.Shared.Infrastructure.Grpc.Observability.Prometheus.RegisteredMetricSets import (
    RegisteredMetricSets,
)

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
    - ``grpc_client_msg_sent_total`` and ``grpc_client_msg_received_total``:
      the messages that went out and came back (``GrpcResponse.messages_sent()``
      and ``messages_received()``: 1 and 1 for a unary call that succeeded, the
      counts of a stream), added when the call ends;
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
    a context cancelled and an error that is no status. Its messages are not
    counted: no response says how many there were.

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

    def start(self, invocation: GrpcInvocation) -> CallState:
        method = invocation.method
        series = self._metrics.series(method.path, method.kind)
        series.grpc.started.inc()
        return series, perf_counter()

    def finished(
        self, state: CallState, invocation: GrpcInvocation, response: GrpcResponse
    ) -> GrpcResponse:
        series, started = state
        method = series.grpc
        code = response.status_code()
        method.ended(code, perf_counter() - started)
        sent, received = response.messages_sent(), response.messages_received()
        if sent:
            method.msg_sent.inc(sent)
        if received:
            method.msg_received.inc(received)
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
        series.grpc.ended(code, perf_counter() - started)
