import re

# version "-" trace-id "-" parent-id "-" trace-flags, lowercase hex (W3C Trace Context, 3.2).
_HEADER = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(-.*)?")
_INVALID_TRACE = "0" * 32
_INVALID_PARENT = "0" * 16


class TraceParent:
    """The trace id in a W3C ``traceparent`` header, read without OpenTelemetry.

    A caller that speaks W3C Trace Context (any OpenTelemetry SDK, Go and Java
    services) names its trace there; ``IncomingIds`` lets it win over an
    ``x-trace-id``, so the request's trace id is the id of the trace it is part
    of. The rules are the recommendation's (W3C Trace Context, section 3.2):
    version ``ff`` is invalid, and so are an all-zero trace id or parent id; a
    version above ``00`` may carry more fields after the four known ones.
    """

    HEADER = "traceparent"

    @staticmethod
    def trace_id(value: object) -> str | None:
        """The 32 hex digits of trace id in a valid ``traceparent``; ``None`` for anything else."""
        if not isinstance(value, str):
            return None
        found = _HEADER.fullmatch(value)
        if found is None:
            return None
        version, trace_id, parent_id, more = found.groups()
        if version == "ff" or (version == "00" and more is not None):
            return None
        if trace_id == _INVALID_TRACE or parent_id == _INVALID_PARENT:
            return None
        return trace_id
