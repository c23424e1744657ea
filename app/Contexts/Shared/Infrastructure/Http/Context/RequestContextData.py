from dataclasses import KW_ONLY, dataclass


@dataclass(frozen=True, slots=True)
class RequestContextData:
    """What is known about the request being served, as one immutable snapshot.

    Frozen so that a snapshot handed to a thread or a log line cannot drift from
    the context it was taken from. The ids added after the first two are
    keyword-only, so positional code written for ``(trace_id, client_ip)`` keeps
    its meaning.
    """

    trace_id: str | None = None
    client_ip: str | None = None
    _: KW_ONLY
    user_id: str | None = None
    correlation_id: str | None = None
