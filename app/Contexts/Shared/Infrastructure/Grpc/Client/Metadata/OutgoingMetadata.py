import re
from collections.abc import Iterable, Mapping
from typing import cast

from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcMetadata import (
    InvalidGrpcMetadata,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcRequest import (
    InvalidGrpcRequest,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcRequest import (
    MetadataValue,
    RequestMetadata,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Metadata.GrpcMetadata import MetadataPairs
from app.Contexts.Shared.Infrastructure.Grpc.Client.Metadata.MetadataSize import (
    ENTRY_OVERHEAD,
    MAX_METADATA_BYTES,
    MetadataSize,
)
from app.Contexts.Shared.Infrastructure.Http.Context.CorrelationId import CorrelationId
from app.Contexts.Shared.Infrastructure.Http.Context.RequestContextData import RequestContextData
from app.Contexts.Shared.Infrastructure.Http.Context.TraceId import TraceId

TRACE_ID_KEY = "x-trace-id"
USER_ID_KEY = "user-id"
CORRELATION_ID_KEY = "correlation-id"
REQUEST_ID_KEY = "request-id"
_ID_KEYS = frozenset({TRACE_ID_KEY, USER_ID_KEY, CORRELATION_ID_KEY, REQUEST_ID_KEY})
_KEY = re.compile(r"[0-9a-z_.\-]+")
_KNOWN_GOOD_KEYS_LIMIT = 1024
_OWNED = "gRPC sets this HTTP/2 header itself; grpc-core drops or replaces the value"
_FORBIDDEN = "a connection-specific header HTTP/2 forbids (RFC 9113, 8.2.2); proxies refuse it"
# gRPC's own request headers (PROTOCOL-HTTP2.md) and HTTP/2's forbidden ones.
_HTTP_HEADERS = {
    "te": _OWNED,
    "content-type": _OWNED,
    "content-length": _OWNED,
    "user-agent": _OWNED + " (set the client's user_agent= option instead)",
    "host": _OWNED,
    "connection": _FORBIDDEN,
    "transfer-encoding": _FORBIDDEN,
    "upgrade": _FORBIDDEN,
    "keep-alive": _FORBIDDEN,
    "proxy-connection": _FORBIDDEN,
}


class OutgoingMetadata:
    """Turns a request's metadata into what goes on the wire, refusing what gRPC would.

    grpc-core rejects or silently drops bad keys and values, and the failure then
    shows up far from its cause; checking here names the key before anything is
    sent. Valid keys are remembered (they are nearly always the same handful) so
    the check costs a set lookup on the hot path.

    The ids go after the request's own pairs: ``x-trace-id`` and
    ``correlation-id`` from the context (with no context, fresh ones, so a call
    is never untraced), ``user-id`` when the context has a user, and a fresh
    ``request-id``. A request that sets one of these keys itself keeps its own
    value, and the ids returned are the ones sent. What is sent must fit in
    what a server takes by default (``MetadataSize`` counts as grpc-core does).

    The request id names one logical call: a UUID4 in hex, made once per call
    before its first attempt and sent unchanged on every retry of it. It
    identifies the call the caller made, not each trip over the wire, so a
    server that sees the same request id twice knows it is a retry (and can
    answer it from what it did the first time).
    """

    _known_good_keys: set[str] = set()

    @classmethod
    def build(
        cls, declared: RequestMetadata | None, context: RequestContextData, credentials: int = 0
    ) -> tuple[MetadataPairs, str, str, str]:
        """The pairs to send, then the trace, correlation and request ids among them.

        ``declared`` is what the request's ``metadata()`` returned, ``None`` for
        a request that keeps ``GrpcRequest``'s (no pairs of its own).

        ``credentials``: the bytes grpc's call credentials will add (``MetadataSize``).
        """
        trace_id = context.trace_id or TraceId.generate()
        correlation_id = context.correlation_id or CorrelationId.generate()
        request_id = TraceId.generate()
        ids = cls._ids(trace_id, context.user_id, correlation_id, request_id)
        if declared is None or (not declared and isinstance(declared, Mapping)):
            cls._fit(ids, credentials)
            return ids, trace_id, correlation_id, request_id
        pairs, own = cls._declared(declared)
        if not own:
            pairs = (*pairs, *ids)
            cls._fit(pairs, credentials)
            return pairs, trace_id, correlation_id, request_id
        pairs = (*pairs, *(pair for pair in ids if pair[0] not in own))
        cls._fit(pairs, credentials)
        return (
            pairs,
            own.get(TRACE_ID_KEY, trace_id),
            own.get(CORRELATION_ID_KEY, correlation_id),
            own.get(REQUEST_ID_KEY, request_id),
        )

    @classmethod
    def rewritten(
        cls, declared: RequestMetadata, credentials: int = 0, sent: MetadataPairs = ()
    ) -> tuple[MetadataPairs, str, str, str]:
        """Pairs a ``GrpcCallStage`` sends instead, checked as a request's own, and their ids.

        Taken as a request's ``metadata()`` is (a mapping or ``(key, value)``
        pairs; a ``None`` value drops its key), and every key, value and the
        total size checked: ``InvalidGrpcMetadata`` names the first bad key, or
        the largest one when the whole is too big. The trace, correlation and
        request ids returned are those among the pairs, ``""`` for one the
        stage dropped, so a log event names what was sent. ``sent`` are the
        pairs the stage was given, checked already: a stage that keeps some of
        them as they are (the same tuple objects) and adds a few has only those
        few checked again.
        """
        quick = cls._kept_and_added(declared, sent) if sent and type(declared) is tuple else None
        pairs, own = cls._declared(declared) if quick is None else quick
        cls._fit(pairs, credentials)
        return (
            pairs,
            own.get(TRACE_ID_KEY, ""),
            own.get(CORRELATION_ID_KEY, ""),
            own.get(REQUEST_ID_KEY, ""),
        )

    @staticmethod
    def _fit(pairs: MetadataPairs, credentials: int) -> None:
        """Raise ``InvalidGrpcMetadata`` naming the largest key when ``pairs`` are too big.

        Counted as ``MetadataSize`` says, inline: every call pays for it.
        """
        total = credentials + ENTRY_OVERHEAD * len(pairs)
        for key, value in pairs:
            total += len(key) + (
                len(value) if isinstance(value, str) else MetadataSize.base64_length(value)
            )
        if total > MAX_METADATA_BYTES:
            raise MetadataSize.too_big(pairs, total, credentials)

    @staticmethod
    def _ids(
        trace_id: str, user_id: str | None, correlation_id: str, request_id: str
    ) -> MetadataPairs:
        if user_id is None:
            return (
                (TRACE_ID_KEY, trace_id),
                (CORRELATION_ID_KEY, correlation_id),
                (REQUEST_ID_KEY, request_id),
            )
        return (
            (TRACE_ID_KEY, trace_id),
            (USER_ID_KEY, user_id),
            (CORRELATION_ID_KEY, correlation_id),
            (REQUEST_ID_KEY, request_id),
        )

    @classmethod
    def _kept_and_added(
        cls, declared: tuple[object, ...], sent: MetadataPairs
    ) -> tuple[MetadataPairs, dict[str, str]] | None:
        """A stage's tuple of pairs, those it kept from ``sent`` unchecked; ``None``: the long way.

        The long way is for anything but ``(key, value)`` tuples among the pairs
        added, and for a ``None`` value (which drops its key).
        """
        already = {id(pair) for pair in sent}
        added = [item for item in declared if id(item) not in already]
        if not all(type(item) is tuple for item in added):
            return None
        pairs, _ = cls._declared(added)  # type: ignore[arg-type]  # pairs: checked there
        if len(pairs) != len(added):
            return None
        checked = cast("MetadataPairs", declared)  # every pair: checked now, or kept
        own: dict[str, str] = {}
        for key, value in checked:
            if key in _ID_KEYS and isinstance(value, str):
                own.setdefault(key, value)
        return checked, own

    @classmethod
    def _declared(cls, declared: RequestMetadata) -> tuple[MetadataPairs, dict[str, str]]:
        """The request's own pairs, checked, and the ids it set itself."""
        pairs: list[tuple[str, MetadataValue]] = []
        own: dict[str, str] = {}
        for key, value in cls._items(declared):
            if value is None:
                continue
            cls._check(key, value)
            if key in _ID_KEYS and isinstance(value, str):
                own.setdefault(key, value)
            pairs.append((key, value))
        return tuple(pairs), own

    @staticmethod
    def _items(declared: RequestMetadata) -> Iterable[tuple[str, MetadataValue | None]]:
        """The ``(key, value)`` items; ``InvalidGrpcRequest`` for anything else.

        A str or a list of two-letter strs would otherwise unpack into pairs of
        letters and be sent as metadata nobody wrote.
        """
        if isinstance(declared, Mapping):
            return declared.items()
        if isinstance(declared, str | bytes) or not isinstance(declared, Iterable):
            raise InvalidGrpcRequest(
                "metadata() must return a mapping or (key, value) pairs, "
                f"got {type(declared).__name__}"
            )
        items = list(declared)
        for item in items:
            if not (isinstance(item, tuple | list) and len(item) == 2):
                raise InvalidGrpcRequest(
                    "metadata() must return a mapping or (key, value) pairs, "
                    f"got an item that is a {type(item).__name__}"
                )
        return items

    @classmethod
    def _check(cls, key: str, value: MetadataValue) -> None:
        if type(key) is not str or key not in cls._known_good_keys:
            cls._check_key(key)
        if key.endswith("-bin"):
            if not isinstance(value, bytes):
                raise InvalidGrpcMetadata(key, "keys ending in -bin take bytes values")
        elif not isinstance(value, str):
            raise InvalidGrpcMetadata(
                key,
                f"values must be str (bytes only under -bin keys), got {type(value).__name__}",
            )
        elif not (value.isascii() and value.isprintable()):
            raise InvalidGrpcMetadata(
                key, "values must be printable ASCII; send other data under a key ending in -bin"
            )

    @classmethod
    def _check_key(cls, key: object) -> None:
        if not isinstance(key, str):
            raise InvalidGrpcMetadata(repr(key), f"keys must be str, got {type(key).__name__}")
        if not _KEY.fullmatch(key):
            if _KEY.fullmatch(key.lower()):
                raise InvalidGrpcMetadata(key, f"keys must be lowercase: use {key.lower()!r}")
            raise InvalidGrpcMetadata(key, "keys may only contain a-z, 0-9, '-', '_' and '.'")
        if key.startswith("grpc-"):
            raise InvalidGrpcMetadata(key, "the 'grpc-' prefix is reserved for gRPC itself")
        if key in _HTTP_HEADERS:
            raise InvalidGrpcMetadata(key, _HTTP_HEADERS[key])
        if len(cls._known_good_keys) < _KNOWN_GOOD_KEYS_LIMIT:
            cls._known_good_keys.add(key)
