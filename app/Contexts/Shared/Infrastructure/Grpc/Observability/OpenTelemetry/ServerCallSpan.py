from __future__ import annotations

from typing import Any

import grpc
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, Status, StatusCode

from app.Contexts.Shared.Infrastructure.Grpc.Observability.OpenTelemetry.RpcSemanticConventions import (  # noqa: E501
    RpcSemanticConventions,
)

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
