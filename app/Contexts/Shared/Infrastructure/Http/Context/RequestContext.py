from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace
from typing import ClassVar

from app.Contexts.Shared.Infrastructure.Http.Context.CorrelationId import CorrelationId
from app.Contexts.Shared.Infrastructure.Http.Context.IdHeaders import IdHeaders
from app.Contexts.Shared.Infrastructure.Http.Context.InvalidCorrelationId import (
    InvalidCorrelationId,
)
from app.Contexts.Shared.Infrastructure.Http.Context.InvalidTraceId import InvalidTraceId
from app.Contexts.Shared.Infrastructure.Http.Context.InvalidUserId import InvalidUserId
from app.Contexts.Shared.Infrastructure.Http.Context.RequestContextData import RequestContextData
from app.Contexts.Shared.Infrastructure.Http.Context.SendableId import SendableId
from app.Contexts.Shared.Infrastructure.Http.Context.TraceId import TraceId

_EMPTY = RequestContextData()
_current: ContextVar[RequestContextData] = ContextVar("request_context", default=_EMPTY)
# The active span's (trace id, span id), lowercase hex, or None outside any span.
SpanIds = tuple[str, str]
ActiveSpan = Callable[[], SpanIds | None]


class RequestContext:
    """The request being served, visible to any code it reaches without passing it around.

    Backed by one ``ContextVar`` holding an immutable snapshot, so each thread
    starts empty and each asyncio task sees the context it was created in, and a
    change inside one task never leaks into its siblings. ``scope()`` is the only
    way in: it always restores what was there before, even on error.

    Once ``follow_spans`` was called (the OpenTelemetry stage and interceptors
    call it), the trace id is the active span's while a span is active, so log
    lines, ``x-trace-id`` and the trace agree; until then spans are never asked.
    """

    @staticmethod
    def get_trace_id() -> str | None:
        return RequestContext.get_context().trace_id

    @staticmethod
    def get_client_ip() -> str | None:
        return _current.get().client_ip

    @staticmethod
    def get_user_id() -> str | None:
        return _current.get().user_id

    @staticmethod
    def get_correlation_id() -> str | None:
        return _current.get().correlation_id

    # The ContextVar's own getter: every outgoing call reads it, and so runs no Python frame
    # (until ``follow_spans``).
    get_context = staticmethod(_current.get)
    # What ``follow_spans`` was given, read as an attribute so that not following costs no call.
    active_span: ClassVar[ActiveSpan | None] = None

    @classmethod
    def follow_spans(cls, active_span: ActiveSpan | None) -> None:
        """From now on, while ``active_span()`` gives ids, the trace id is its trace id.

        ``active_span`` returns the active span's ``(trace id, span id)`` in
        lowercase hex, or ``None`` outside a span; it must not block. Called
        again, the last one given is asked; ``None`` stops following spans.
        Costs every ``get_context`` one call of it, so nothing is paid until a
        tracer is wired in.
        """
        cls.active_span = active_span
        cls.get_context = staticmethod(_current.get if active_span is None else _following_spans)

    @staticmethod
    def active_span_ids() -> SpanIds | None:
        """The active span's ``(trace id, span id)`` once spans are followed, else ``None``."""
        active_span = RequestContext.active_span
        return None if active_span is None else active_span()

    @staticmethod
    def outgoing_http_headers() -> dict[str, str]:
        """The ids to send on a call made with any HTTP client, so the next service continues.

        Only the ids there are: outside a scope that is nothing, and without a
        user the ``X-User-Id`` header is left out rather than sent empty.
        """
        context = RequestContext.get_context()
        headers = (
            (IdHeaders.TRACE_ID, context.trace_id),
            (IdHeaders.USER_ID, context.user_id),
            (IdHeaders.CORRELATION_ID, context.correlation_id),
        )
        return {name: value for name, value in headers if value is not None}

    @staticmethod
    @contextmanager
    def scope(
        trace_id: str | None = None,
        client_ip: str | None = None,
        *,
        user_id: str | None = None,
        correlation_id: str | None = None,
    ) -> Iterator[RequestContextData]:
        """Open a context for a request, job or CLI command.

        A trace id and a correlation id are made if none is given, so every call
        made inside shares them. Ids given here come from the service's own code
        and are trusted: any that can travel as gRPC metadata is kept (see
        ``SendableId``), short ones included; one that cannot raises
        ``InvalidTraceId``, ``InvalidUserId`` or ``InvalidCorrelationId``. Ids from
        an untrusted caller go through ``IncomingIds`` instead, which keeps only
        ids that look like ids and drops the rest.
        """
        data = RequestContextData(
            TraceId.generate() if trace_id is None else _sendable(trace_id, InvalidTraceId),
            client_ip,
            user_id=None if user_id is None else _sendable(user_id, InvalidUserId),
            correlation_id=(
                CorrelationId.generate()
                if correlation_id is None
                else _sendable(correlation_id, InvalidCorrelationId)
            ),
        )
        token = _current.set(data)
        try:
            yield data
        finally:
            _current.reset(token)


def _following_spans() -> RequestContextData:
    """The context, its trace id the active span's while there is one."""
    data = _current.get()
    active_span = RequestContext.active_span
    ids = None if active_span is None else active_span()
    if ids is None or ids[0] == data.trace_id:
        return data
    return replace(data, trace_id=ids[0])


def _sendable(value: object, error: Callable[[object], Exception]) -> str:
    if not SendableId.is_valid(value):
        raise error(value)
    return value
