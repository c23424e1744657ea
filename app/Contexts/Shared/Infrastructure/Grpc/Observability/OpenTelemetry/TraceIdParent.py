from __future__ import annotations

import random

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

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
