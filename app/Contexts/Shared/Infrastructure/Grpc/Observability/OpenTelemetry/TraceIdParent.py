from __future__ import annotations

import random
import re

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

_W3C_TRACE_ID = re.compile(r"[0-9a-f]{32}")
_INVALID = "0" * 32
_SAMPLED = TraceFlags(TraceFlags.SAMPLED)
_random = random.SystemRandom()


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
    honour.
    """

    @staticmethod
    def context(trace_id: str, context: Context | None = None) -> Context | None:
        """``context`` with that parent set, ``None`` when ``trace_id`` cannot name a trace."""
        if not _W3C_TRACE_ID.fullmatch(trace_id) or trace_id == _INVALID:
            return None
        parent = SpanContext(
            trace_id=int(trace_id, 16),
            span_id=_random.getrandbits(64) | 1,
            is_remote=True,
            trace_flags=_SAMPLED,
        )
        return trace.set_span_in_context(NonRecordingSpan(parent), context)
