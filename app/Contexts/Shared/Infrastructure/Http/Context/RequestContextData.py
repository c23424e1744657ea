from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RequestContextData:
    """What is known about the request being served, as one immutable snapshot.

    Frozen so that a snapshot handed to a thread or a log line cannot drift from
    the context it was taken from.
    """

    trace_id: str | None = None
    client_ip: str | None = None
