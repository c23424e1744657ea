"""The client's exceptions, importable from one place (see ``GrpcClientError`` for the tree)."""

from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.GrpcClientAlreadyRegistered import (
    GrpcClientAlreadyRegistered,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.GrpcClientClosed import (
    GrpcClientClosed,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.GrpcClientError import GrpcClientError
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.GrpcStreamClosed import (
    GrpcStreamClosed,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.GrpcStreamNotFinished import (
    GrpcStreamNotFinished,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidBearerToken import (
    InvalidBearerToken,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcClientEnvironment import (
    InvalidGrpcClientEnvironment,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcClientName import (
    InvalidGrpcClientName,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcClientSettings import (
    InvalidGrpcClientSettings,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcMessage import (
    InvalidGrpcMessage,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcMetadata import (
    InvalidGrpcMetadata,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcRequest import (
    InvalidGrpcRequest,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcResponse import (
    InvalidGrpcResponse,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcTimeout import (
    InvalidGrpcTimeout,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidTlsSettings import (
    InvalidTlsSettings,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.UnknownGrpcClient import (
    UnknownGrpcClient,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.UnknownGrpcMethod import (
    UnknownGrpcMethod,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.UnsupportedGrpcMethod import (
    UnsupportedGrpcMethod,
)

__all__ = [
    "GrpcClientAlreadyRegistered",
    "GrpcClientClosed",
    "GrpcClientError",
    "GrpcStreamClosed",
    "GrpcStreamNotFinished",
    "InvalidBearerToken",
    "InvalidGrpcClientEnvironment",
    "InvalidGrpcClientName",
    "InvalidGrpcClientSettings",
    "InvalidGrpcMessage",
    "InvalidGrpcMetadata",
    "InvalidGrpcRequest",
    "InvalidGrpcResponse",
    "InvalidGrpcTimeout",
    "InvalidTlsSettings",
    "UnknownGrpcClient",
    "UnknownGrpcMethod",
    "UnsupportedGrpcMethod",
]
