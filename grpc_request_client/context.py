"""The current request's trace, correlation and user ids, carried through threads and tasks."""

import os
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import KW_ONLY, dataclass, replace
from typing import ClassVar, NamedTuple, TypeGuard

from grpc_request_client.errors import InvalidCorrelationId, InvalidTraceId, InvalidUserId

_TRACE_ID_FORM = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")


class TraceId:
    """How trace ids are made, and which ones from outside are worth keeping.

    An id from an untrusted header ends up in every log line and every outgoing
    call, so only ids that look like ids (8-128 url-safe characters: UUIDs, W3C
    hex ids, ULIDs) are kept; anything else is replaced rather than repaired.
    Ids given in code are trusted further (``SendableId``).
    """

    @staticmethod
    def generate() -> str:
        """A UUID4 in hex, made without ``uuid.UUID``, which costs twice as much on every call.

        What ``uuid.uuid4()`` does to 16 random bytes, done on the bytes: the
        version (4) in the high nibble of byte 6, RFC 4122's variant in the top
        two bits of byte 8. Bytes rather than a 128-bit integer: a quarter less
        CPU, and every call makes at least one.
        """
        raw = bytearray(os.urandom(16))
        raw[6] = raw[6] & 0x0F | 0x40
        raw[8] = raw[8] & 0x3F | 0x80
        return raw.hex()

    @staticmethod
    def is_valid(candidate: object) -> TypeGuard[str]:
        return isinstance(candidate, str) and _TRACE_ID_FORM.fullmatch(candidate) is not None


class CorrelationId(TraceId):
    """Ties together everything done for one user action, across services and traces.

    A trace follows one request through the services it reaches; a correlation
    id may outlive it (a job queued by the request, a retry the user makes) and
    is what support searches the logs for. It travels the same way and meets the
    same dangers, so it is made and checked by the trace id rule.
    """


class IdHeaders:
    """The HTTP headers the request's ids travel in, spelled as they are sent.

    ``X-Consumer-Custom-ID`` is not ours: Kong's JWT plugin sets it to the
    authenticated consumer's custom id, so behind Kong the user id arrives there
    when the caller did not send ``X-User-Id``.
    """

    TRACE_ID = "X-Trace-ID"
    USER_ID = "X-User-Id"
    CONSUMER_CUSTOM_ID = "X-Consumer-Custom-ID"
    CORRELATION_ID = "X-Correlation-Id"


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


class SendableId:
    """Which ids the service's own code may give ``RequestContext.scope``: any that can travel.

    Code is trusted to name its own jobs, tests and messages (``"t-1"``, ``"job 42"``), so
    an id given in code needs only be something gRPC metadata and HTTP headers carry
    unchanged: a non-empty ``str`` of printable ASCII (gRPC allows bytes 0x20 to 0x7E in
    a metadata value; grpc-core's ``validate_metadata.cc``), with no space at either end.
    HTTP/2 forbids a field value that starts or ends with a space (RFC 9113, section
    8.2.1) and proxies strip them, so such an id would not match itself in the next
    service's logs; it is refused rather than trimmed. Ids from untrusted headers keep
    the stricter rules of ``TraceId`` and ``UserId`` (see ``IncomingIds``). An id that is
    sendable but too long for them is sent, but a next service of this library does not
    keep it, and a very long one can make a call's metadata too large (``MetadataSize``).
    """

    @staticmethod
    def is_valid(candidate: object) -> TypeGuard[str]:
        return (
            isinstance(candidate, str)
            and candidate.isascii()
            and candidate.isprintable()
            and candidate != ""
            and candidate.strip(" ") == candidate
        )


# The snapshot outside any scope: ``RequestContext.get_context()`` returns this very object.
NO_CONTEXT = RequestContextData()
_current: ContextVar[RequestContextData] = ContextVar("request_context", default=NO_CONTEXT)
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


_USER_ID_FORM = re.compile(r"[A-Za-z0-9._:@-]{1,128}")


class UserId:
    """Which user ids from outside are kept: 1-128 letters, digits, '.', '_', ':', '@' or '-'.

    A user id is passed on to every service the request reaches and written to
    their logs, so it must be a printable ASCII metadata value that cannot forge
    a log field or a header. The rule admits numeric and UUID ids, usernames,
    emails without '+', and ``issuer:subject`` pairs; anything else is refused
    rather than repaired, since a repaired id would name someone else.
    """

    @staticmethod
    def is_valid(candidate: object) -> TypeGuard[str]:
        return isinstance(candidate, str) and _USER_ID_FORM.fullmatch(candidate) is not None


Names = tuple[str, ...]


class IncomingIds(NamedTuple):
    """The ids a caller sent, each kept only if valid; a new trace and correlation id otherwise.

    The one rule for ids from outside, shared by the HTTP middleware and the gRPC
    server interceptors so a service trusts the same things however it is
    called. An id from outside ends up in every log line and downstream call, so
    a malformed one is dropped, never repaired: the user is then unknown, and the
    trace or correlation starts afresh here. An id may arrive under several
    names, tried in order; the first valid value wins. A valid W3C
    ``traceparent`` (``TraceParent``) wins over every trace id name: the caller
    is then part of a trace, and its id is the one to keep.
    """

    trace_id: str
    user_id: str | None
    correlation_id: str

    @classmethod
    def read(
        cls, values: Mapping[str, object], *, trace: Names, user: Names, correlation: Names
    ) -> "IncomingIds":
        """Pick the ids out of ``values`` (header or metadata names, lowercase, to values).

        ``values`` may hold ``traceparent`` too, whatever ``trace`` names.
        """
        return cls(
            TraceParent.trace_id(values.get(TraceParent.HEADER))
            or cls._first_valid(values, trace, TraceId.is_valid)
            or TraceId.generate(),
            cls._first_valid(values, user, UserId.is_valid),
            cls._first_valid(values, correlation, CorrelationId.is_valid)
            or CorrelationId.generate(),
        )

    def scope(self, client_ip: str | None) -> AbstractContextManager[RequestContextData]:
        """A ``RequestContext`` with these ids; entered again, it is the same context."""
        return RequestContext.scope(
            self.trace_id, client_ip, user_id=self.user_id, correlation_id=self.correlation_id
        )

    @staticmethod
    def _first_valid(
        values: Mapping[str, object], names: Names, is_valid: Callable[[object], TypeGuard[str]]
    ) -> str | None:
        for name in names:
            value = values.get(name)
            if is_valid(value):
                return value
        return None
