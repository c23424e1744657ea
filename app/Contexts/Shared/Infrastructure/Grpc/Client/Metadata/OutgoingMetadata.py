import re
from collections.abc import Iterable, Mapping

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
from app.Contexts.Shared.Infrastructure.Http.Context.TraceId import TraceId

TRACE_ID_KEY = "x-trace-id"
_KEY = re.compile(r"[0-9a-z_.\-]+")
_KNOWN_GOOD_KEYS_LIMIT = 1024


class OutgoingMetadata:
    """Turns a request's metadata into what goes on the wire, refusing what gRPC would.

    grpc-core rejects or silently drops bad keys and values, and the failure then
    shows up far from its cause; checking here names the key before anything is
    sent. Valid keys are remembered (they are nearly always the same handful) so
    the check costs a set lookup on the hot path. The trace id is added unless
    the request set ``x-trace-id`` itself; with no context, a call starts a new
    trace rather than going untraced.
    """

    _known_good_keys: set[str] = set()

    @classmethod
    def build(cls, declared: RequestMetadata, trace_id: str | None) -> tuple[MetadataPairs, str]:
        if not declared and isinstance(declared, Mapping):
            trace_id = trace_id or TraceId.generate()
            return ((TRACE_ID_KEY, trace_id),), trace_id
        pairs: list[tuple[str, MetadataValue]] = []
        own_trace_id = None
        for key, value in cls._items(declared):
            if value is None:
                continue
            cls._check(key, value)
            if key == TRACE_ID_KEY:
                own_trace_id = value
            pairs.append((key, value))
        if isinstance(own_trace_id, str):
            return tuple(pairs), own_trace_id
        trace_id = trace_id or TraceId.generate()
        pairs.append((TRACE_ID_KEY, trace_id))
        return tuple(pairs), trace_id

    @staticmethod
    def _items(declared: RequestMetadata) -> Iterable[tuple[str, MetadataValue | None]]:
        if isinstance(declared, Mapping):
            return declared.items()
        try:
            return [(key, value) for key, value in declared]
        except (TypeError, ValueError) as error:
            raise InvalidGrpcRequest(
                "metadata() must return a mapping or (key, value) pairs, "
                f"got {type(declared).__name__}"
            ) from error

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
        if len(cls._known_good_keys) < _KNOWN_GOOD_KEYS_LIMIT:
            cls._known_good_keys.add(key)
