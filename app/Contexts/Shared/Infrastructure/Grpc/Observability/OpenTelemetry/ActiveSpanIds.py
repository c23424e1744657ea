from __future__ import annotations

from opentelemetry import trace

from app.Contexts.Shared.Infrastructure.Http.Context.RequestContext import RequestContext, SpanIds

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
