"""The extension seam: call stages (tracing, metrics, caching) and the built-in call log."""

from abc import ABC, abstractmethod
from collections.abc import Callable
from logging import DEBUG
from time import perf_counter
from typing import Generic, TypeVar

from grpc_request_client.context import RequestContext
from grpc_request_client.errors import GrpcClientClosed
from grpc_request_client.invocation import GrpcInvocation
from grpc_request_client.logs import FailureLogLevels, LibraryLog
from grpc_request_client.metadata import MetadataPairs, SensitiveMetadata
from grpc_request_client.resilience import Bulkhead, CircuitBreaker, CircuitState
from grpc_request_client.response import GrpcResponse


class GrpcClientView:
    """What a stage may read of the client it serves: its target and its resilience, now.

    Handed to ``GrpcCallStage.attached`` once, when a client is built with the
    stage, so a stage can report the client's state between calls (a metrics
    stage's gauges) without holding the client itself. Read-only, and every
    read is of the moment: nothing is cached. Safe from any thread.

    The client keeps its view for as long as it lives; a stage that keeps one
    should keep it weakly (``weakref.ref``), so a client dropped without
    ``close()`` is not kept alive by its metrics, and skip it once ``closed``.
    """

    __slots__ = ("__weakref__", "_breaker", "_bulkhead", "_closed_error", "target")

    def __init__(
        self,
        target: str,
        bulkhead: Bulkhead,
        breaker: CircuitBreaker | None,
        closed_error: Callable[[], GrpcClientClosed | None],
    ) -> None:
        self.target = target
        self._bulkhead = bulkhead
        self._breaker = breaker
        self._closed_error = closed_error

    @property
    def closed(self) -> bool:
        """Whether the client was closed: it refuses calls, and stays closed."""
        return self._closed_error() is not None

    def breaker_state(self) -> CircuitState | None:
        """``"closed"``, ``"open"`` or ``"half_open"``; ``None`` when the breaker is disabled.

        The state the client's next call meets (an open circuit past its
        cool-down is already half-open). With ``scope="method"`` the worst of
        its methods' circuits: open if any is, else half-open if any is. The
        breaker is shared by the clients with equal settings, so they all read
        the same state.
        """
        return None if self._breaker is None else self._breaker.worst_state()

    def bulkhead_in_flight(self) -> int:
        """The client's calls holding a bulkhead slot now, an open stream among them.

        Every client has a bulkhead (``BulkheadPolicy``, 1000 calls unless
        set), of its own: it counts this client's calls only.
        """
        return self._bulkhead.in_flight

    def __repr__(self) -> str:
        return f"<GrpcClientView {self.target}{' closed' if self.closed else ''}>"


State = TypeVar("State")


class GrpcCallStage(ABC, Generic[State]):
    """Behaviour around every call and every attempt, written once for ``call`` and ``call_async``.

    Given as ``GrpcClient(target, stages=[...])``, outermost first. ``CallEngine``
    calls the hooks from inside its I/O-free generator, so they are plain
    synchronous methods and the same stage serves both APIs. Per call:

    1. ``start(invocation)``, in order, returns this stage's state for the call
       (a span, a start time, a cache key; anything), handed back to every
       other hook. Right after its own ``start`` a stage is asked ``metadata``
       (it may replace the pairs sent, to propagate trace headers: they are
       checked as a request's own are, and the stages after it see them),
       then ``answer``: a response there ends the call without sending it (a
       cache hit; bulkhead, circuit breaker and wire are skipped, and the
       stages after it are not started).
    2. Around each attempt sent: ``attempt_started(state, number, seconds)``
       (from 1; the attempt's timeout in seconds), then
       ``attempt_ended(state, number, response, backoff)`` with the seconds
       the engine will wait before the next attempt, ``None`` when none follows
       (a backoff that would outlive the deadline is never started). A sleep
       that oversleeps what was left of the deadline ends the call after it,
       with no further attempt: the last backoff seen is then not followed by
       an ``attempt_started``.
    3. ``finished(state, invocation, response)``, in reverse order, returns
       the call's response (the same, or a replacement).

    A call that ends with an exception rather than a response (a cancelled task,
    ``KeyboardInterrupt``, a hook that raised) calls ``abandoned(state,
    invocation, error)`` instead of ``finished``, in reverse order, on every
    stage whose ``start`` returned and whose ``finished`` was not called yet. So
    a stage whose ``metadata``, ``answer`` or attempt hook raised is told too (a
    span its ``start`` opened still ends); one whose ``start`` or ``finished``
    raised is not. Then the exception propagates unchanged from ``call`` or
    ``call_async`` (or, if an ``abandoned`` raised, the first such exception,
    chained to it, once every stage was told). Whatever the call held is given
    back first: its bulkhead slot, and its breaker permit, settled with no
    outcome. So a bug in a stage reaches its caller as itself and costs the
    client nothing.

    Once per client, not per call: ``attached(view)``, when a client is built
    with the stage (a stage given to three clients hears it three times). The
    ``GrpcClientView`` reads that client's target, circuit-breaker state and
    bulkhead calls in flight at any moment, for gauges.

    Hooks a subclass does not override are never called, so they cost
    nothing; only ``start`` is required. Hooks run on the calling thread (or
    the event loop, for ``call_async``): they must not block.
    """

    def attached(self, view: GrpcClientView) -> None:
        """A client was built with this stage; ``view`` reads its state (keep it weakly).

        Called once, in the client's constructor, after everything else was
        made. An exception here closes the client and propagates from the
        constructor.
        """

    @abstractmethod
    def start(self, invocation: GrpcInvocation) -> State:
        """The call was entered: this stage's state for it."""

    def metadata(self, state: State, metadata: MetadataPairs) -> MetadataPairs:
        """The ``(key, value)`` pairs to send instead; checked, ``InvalidGrpcMetadata`` if bad."""
        return metadata

    def answer(self, state: State, invocation: GrpcInvocation) -> GrpcResponse | None:
        """A response that ends the call unsent, or ``None`` to send it."""
        return None

    def attempt_started(self, state: State, number: int, seconds: float) -> None:
        """Attempt ``number`` (from 1) goes on the wire with a timeout of ``seconds``."""

    def attempt_ended(
        self, state: State, number: int, response: GrpcResponse, backoff: float | None
    ) -> None:
        """Attempt ``number`` got ``response``; ``backoff`` seconds before the next, or ``None``."""

    def finished(
        self, state: State, invocation: GrpcInvocation, response: GrpcResponse
    ) -> GrpcResponse:
        """The call's response, as the stages outside this one and the caller will see it."""
        return response

    def abandoned(self, state: State, invocation: GrpcInvocation, error: BaseException) -> None:
        """The call ended with ``error`` instead of a response; ``error`` propagates afterwards."""


_log = LibraryLog("calls")
_DEFAULT_LEVELS = FailureLogLevels()


class GrpcCallLog(GrpcCallStage[float]):
    """One structured event per finished call: the client's built-in, outermost stage.

    The events go to structlog once the application configured it, else to the
    standard ``logging`` logger ``grpc_request_client.calls`` (``LibraryLog``);
    with neither configured, nothing is printed. Its state is the
    ``perf_counter`` reading when the call was entered, so ``duration_ms``
    covers every other stage too, and the event shows the response the caller
    gets. Success is logged at debug; a failure at the level
    ``failure_log_levels`` gives its code (``FailureLogLevels``: WARNING when
    the server failed, INFO when it answered about the request). An event whose
    level is filtered out costs one question to the logger: its fields are
    never built. A failure says whether its outcome is unknown (the server may
    have done the work). Failures carry the outgoing metadata to help
    debugging, each credential's value replaced by ``[redacted]``
    (``SensitiveMetadata`` decides which); successes carry none, and the
    message body is never logged. A call abandoned with an exception logs
    nothing: the exception reaches the caller. A stream is one call, logged
    when it ends, with its ``kind`` (``client_stream``, ``server_stream``,
    ``bidi_stream``) and the ``messages_sent`` and ``messages_received``; one
    its caller closed before the end is ``grpc.call.closed``, at debug, as
    go-grpc-middleware's logging logs a client's CANCELLED: leaving a loop
    early is no failure.

    The ``trace_id``, ``correlation_id`` and ``request_id`` are those the call
    sent, ``""`` for one it did not (``SentIds``). Once spans are followed
    (``RequestContext.follow_spans``: the OpenTelemetry stage does it), an
    event logged while a span is active carries its ``span_id`` too, and the
    trace id is then the span's. Each failed attempt a retry follows is logged
    by ``attempt_failed``, at debug.
    """

    def __init__(self, target: str, levels: FailureLogLevels = _DEFAULT_LEVELS) -> None:
        self._target = target
        self._levels = levels

    def start(self, invocation: GrpcInvocation) -> float:
        return perf_counter()

    def finished(
        self, state: float, invocation: GrpcInvocation, response: GrpcResponse
    ) -> GrpcResponse:
        if response.is_success():
            if _log.enabled(DEBUG):
                _log.log(DEBUG, "grpc.call.succeeded", self._fields(state, invocation, response))
        elif response.closed_by_caller():
            if _log.enabled(DEBUG):
                _log.log(DEBUG, "grpc.call.closed", self._fields(state, invocation, response))
        else:
            level = self._levels.level(response.status_code())
            if _log.enabled(level):
                _log.log(level, "grpc.call.failed", self._failed(state, invocation, response))
        return response

    @staticmethod
    def attempt_failed(
        target: str, invocation: GrpcInvocation, number: int, response: GrpcResponse, backoff: float
    ) -> None:
        """Log ``grpc.attempt.failed`` at debug: attempt ``number`` failed, a retry follows.

        With the attempt's ``code`` and ``details``, the seconds of backoff, and
        the call's ids, so the attempts of one call read together in the logs.
        """
        if not _log.enabled(DEBUG):
            return
        method = invocation.method
        fields: dict[str, object] = {
            "service": method.service,
            "method": method.name,
            "target": target,
            "attempt": number,
            "code": response.status_code().name,
            "details": response.details(),
            "backoff_seconds": round(backoff, 6),
            "trace_id": invocation.trace_id,
            "correlation_id": invocation.correlation_id,
            "request_id": invocation.request_id,
        }
        _with_span(fields)
        _log.log(DEBUG, "grpc.attempt.failed", fields)

    def _failed(
        self, started: float, invocation: GrpcInvocation, response: GrpcResponse
    ) -> dict[str, object]:
        fields = self._fields(started, invocation, response)
        fields["details"] = response.details()
        fields["outcome_unknown"] = response.outcome_unknown()
        fields["metadata"] = dict(SensitiveMetadata.redact(invocation.metadata))
        return fields

    def _fields(
        self, started: float, invocation: GrpcInvocation, response: GrpcResponse
    ) -> dict[str, object]:
        method = invocation.method
        fields: dict[str, object] = {
            "service": method.service,
            "method": method.name,
            "target": self._target,
            "code": response.status_code().name,
            "duration_ms": round((perf_counter() - started) * 1000, 3),
            "trace_id": invocation.trace_id,
            "correlation_id": invocation.correlation_id,
            "request_id": invocation.request_id,
            "attempts": response.attempts(),
        }
        if method.kind != "unary":
            fields["kind"] = method.kind
            fields["messages_sent"] = response.messages_sent()
            fields["messages_received"] = response.messages_received()
        _with_span(fields)
        return fields


def _with_span(fields: dict[str, object]) -> None:
    """Add the active span's id, when spans are followed and one is active."""
    active_span = RequestContext.active_span
    ids = None if active_span is None else active_span()
    if ids is not None:
        fields["span_id"] = ids[1]
