import logging
from time import perf_counter

import structlog

from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcCallStage import GrpcCallStage
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcInvocation import GrpcInvocation
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcResponse import GrpcResponse
from app.Contexts.Shared.Infrastructure.Grpc.Client.Metadata.SensitiveMetadata import (
    SensitiveMetadata,
)
from app.Contexts.Shared.Infrastructure.Http.Context.RequestContext import RequestContext

_log = structlog.get_logger("grpc.client")


class GrpcCallLog(GrpcCallStage[float]):
    """One structured event per finished call: the client's built-in, outermost stage.

    Its state is the ``perf_counter`` reading when the call was entered, so
    ``duration_ms`` covers every other stage too, and the event shows the
    response the caller gets. Success is logged at debug and failure at
    warning, so a service logging at info pays only for a filtered-out method
    call on the happy path. A failure says whether its outcome is unknown (the
    server may have done the work). Failures carry the outgoing metadata to
    help debugging, each credential's value replaced by ``[redacted]``
    (``SensitiveMetadata`` decides which); successes carry none, and the
    message body is never logged. A call abandoned with an exception logs
    nothing: the exception reaches the caller. A stream is one call, logged
    when it ends, with its ``kind`` (``client_stream``, ``server_stream``,
    ``bidi_stream``) and the ``messages_sent`` and ``messages_received``; one
    its caller closed before the end is ``grpc.call.closed``, at debug, as
    go-grpc-middleware's logging logs a client's CANCELLED: leaving a loop
    early is no failure.

    Once spans are followed (``RequestContext.follow_spans``: the OpenTelemetry
    stage does it), an event logged while a span is active carries its
    ``span_id`` too, beside the ``trace_id`` the call sent, which is then the
    span's trace id. Each failed attempt a retry follows is logged by
    ``attempt_failed``, at debug.
    """

    def __init__(self, target: str) -> None:
        self._target = target

    def start(self, invocation: GrpcInvocation) -> float:
        return perf_counter()

    def finished(
        self, state: float, invocation: GrpcInvocation, response: GrpcResponse
    ) -> GrpcResponse:
        if response.is_success():
            if _debug_enabled():
                self._quietly(state, invocation, response, "grpc.call.succeeded")
        elif response.closed_by_caller():
            if _debug_enabled():
                self._quietly(state, invocation, response, "grpc.call.closed")
        else:
            self._failed(state, invocation, response)
        return response

    @staticmethod
    def attempt_failed(
        target: str, invocation: GrpcInvocation, number: int, response: GrpcResponse, backoff: float
    ) -> None:
        """Log ``grpc.attempt.failed`` at debug: attempt ``number`` failed, a retry follows.

        With the attempt's ``code`` and ``details``, the seconds of backoff, and
        the call's ids, so the attempts of one call read together in the logs.
        """
        if not _debug_enabled():
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
        _log.debug("grpc.attempt.failed", **fields)

    def _quietly(
        self, started: float, invocation: GrpcInvocation, response: GrpcResponse, event: str
    ) -> None:
        code = response.status_code().name
        _log.debug(event, **self._fields(started, invocation, response, code))

    def _failed(self, started: float, invocation: GrpcInvocation, response: GrpcResponse) -> None:
        _log.warning(
            "grpc.call.failed",
            **self._fields(started, invocation, response, response.status_code().name),
            details=response.details(),
            outcome_unknown=response.outcome_unknown(),
            metadata=dict(SensitiveMetadata.redact(invocation.metadata)),
        )

    def _fields(
        self, started: float, invocation: GrpcInvocation, response: GrpcResponse, code: str
    ) -> dict[str, object]:
        method = invocation.method
        fields: dict[str, object] = {
            "service": method.service,
            "method": method.name,
            "target": self._target,
            "code": code,
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


def _debug_enabled() -> bool:
    """Ask the configured logger first, so a filtered-out event costs no arguments.

    Binding through structlog's lazy proxy honours a ``structlog.configure``
    made after this module was imported; loggers without the question log.
    """
    enabled = getattr(_log.bind(), "is_enabled_for", None)
    return enabled is None or bool(enabled(logging.DEBUG))
