from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcMetadata import (
    InvalidGrpcMetadata,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcRequest import MetadataValue
from app.Contexts.Shared.Infrastructure.Grpc.Client.Metadata.GrpcMetadata import MetadataPairs
from app.Contexts.Shared.Infrastructure.Grpc.Client.Security.BearerToken import BearerToken

# What grpc-core counts per header (hpack_constants.h kEntryOverhead; RFC 7541 section 4.1).
ENTRY_OVERHEAD = 32
# grpc-core's default limit on the headers of a request a server accepts
# (DEFAULT_MAX_HEADER_LIST_SIZE_SOFT_LIMIT in src/core/call/metadata_info.h): above it the
# server refuses at random, and always from the 16 KiB hard limit on.
GRPC_DEFAULT_LIMIT = 8 * 1024
# Left for the headers grpc adds itself (:path, :authority, user-agent, te, content-type,
# grpc-timeout, grpc-accept-encoding...): 470-560 bytes by the same count, measured with
# grpcio 1.85 for ordinary method paths and targets.
RESERVED_FOR_GRPC = 1024
MAX_METADATA_BYTES = GRPC_DEFAULT_LIMIT - RESERVED_FOR_GRPC
_AUTHORIZATION = "authorization"
_BEARER = "Bearer "


class MetadataSize:
    """Refuses metadata a server would refuse for its size, counting it as grpc-core does.

    A gRPC server's HPACK parser (``hpack_parser.cc``) adds up each header as
    the length of its key, plus the length of its value as sent (a ``-bin``
    value in base64), plus 32 bytes, and refuses the request above its limit
    (``grpc.max_metadata_size``, 8 KiB by default) with an error that names no
    key. The request's pairs, the ids the client adds and a fixed bearer token
    must fit in ``MAX_METADATA_BYTES`` (7168 bytes): grpc's default less 1 KiB
    for grpc's own headers. A server configured for more is still held to the
    default. ``OutgoingMetadata`` adds a call's pairs up by this count, on every
    call, and raises ``too_big`` when they do not fit.
    """

    @staticmethod
    def of_bearer_token(token: BearerToken | None) -> int:
        """The bytes of ``authorization: Bearer <token>`` for a fixed token; 0 for a provider.

        A provider's token is only known on grpc's threads as the call is sent, so
        it is not counted.
        """
        if token is None or not isinstance(token.source, str):
            return 0
        return len(_AUTHORIZATION) + len(_BEARER) + len(token.source) + ENTRY_OVERHEAD

    @staticmethod
    def of(key: str, value: MetadataValue) -> int:
        """The bytes grpc-core counts for one pair."""
        sent = len(value) if isinstance(value, str) else MetadataSize.base64_length(value)
        return len(key) + sent + ENTRY_OVERHEAD

    @staticmethod
    def too_big(pairs: MetadataPairs, total: int, credentials: int) -> InvalidGrpcMetadata:
        """The error for ``pairs`` of ``total`` bytes, ``credentials`` of them a bearer token's."""
        key, value = max(pairs, key=lambda pair: MetadataSize.of(*pair))
        token = f" ({credentials} of them the bearer token's)" if credentials else ""
        return InvalidGrpcMetadata(
            key,
            f"the call's metadata would be {total} bytes{token}, over the "
            f"{MAX_METADATA_BYTES} bytes a grpc server takes by default, and this key is the "
            f"largest at {MetadataSize.of(key, value)} bytes (a pair counts its key, its value, "
            f"base64 under -bin, and {ENTRY_OVERHEAD}; the ids the client adds count too)",
        )

    @staticmethod
    def base64_length(value: bytes) -> int:
        """The length of ``value`` in base64, as grpc sends a ``-bin`` value."""
        return (len(value) + 2) // 3 * 4
