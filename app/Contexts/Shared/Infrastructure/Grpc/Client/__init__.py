"""The client's public names, importable from one place.

Everything a caller needs to describe, send and configure calls and to read
their outcome; the modules each name lives in (``...Grpc.Client.GrpcClient``
and the like, the spec's import paths) keep working. Anything not listed in
``__all__`` is internal and may change. Errors are in ``...Grpc.Client.Errors``.
"""

from app.Contexts.Shared.Infrastructure.Grpc.Client.AsyncGrpcStream import AsyncGrpcStream
from app.Contexts.Shared.Infrastructure.Grpc.Client.BaseGrpcRequest import BaseGrpcRequest
from app.Contexts.Shared.Infrastructure.Grpc.Client.BulkheadPolicy import BulkheadPolicy
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcCallStage import GrpcCallStage
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcClientView import GrpcClientView
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcInvocation import GrpcInvocation
from app.Contexts.Shared.Infrastructure.Grpc.Client.Channel.ChannelRegistry import ChannelRegistry
from app.Contexts.Shared.Infrastructure.Grpc.Client.CircuitBreakerPolicy import (
    CircuitBreakerPolicy,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClient import GrpcClient
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClientSettings import GrpcClientSettings
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcRequest import GrpcRequest
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcResponse import GrpcResponse
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcStream import GrpcStream
from app.Contexts.Shared.Infrastructure.Grpc.Client.Health.HealthCheckResult import (
    HealthCheckResult,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Health.HealthStatus import HealthStatus
from app.Contexts.Shared.Infrastructure.Grpc.Client.Metadata.GrpcMetadata import GrpcMetadata
from app.Contexts.Shared.Infrastructure.Grpc.Client.Options.KeepaliveSettings import (
    KeepaliveSettings,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.RetryPolicy import RetryPolicy
from app.Contexts.Shared.Infrastructure.Grpc.Client.Security.TlsSettings import TlsSettings
from app.Contexts.Shared.Infrastructure.Grpc.Client.StreamingGrpcRequest import (
    StreamingGrpcRequest,
)

__all__ = [
    "AsyncGrpcStream",
    "BaseGrpcRequest",
    "BulkheadPolicy",
    "ChannelRegistry",
    "CircuitBreakerPolicy",
    "GrpcCallStage",
    "GrpcClient",
    "GrpcClientSettings",
    "GrpcClientView",
    "GrpcInvocation",
    "GrpcMetadata",
    "GrpcRequest",
    "GrpcResponse",
    "GrpcStream",
    "HealthCheckResult",
    "HealthStatus",
    "KeepaliveSettings",
    "RetryPolicy",
    "StreamingGrpcRequest",
    "TlsSettings",
]
