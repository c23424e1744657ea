"""A gRPC client for hexagonal Python services: request objects in, typed responses out.

Describe a call as a request object (``BaseGrpcRequest``), run it with
``GrpcClient(target).call(request)`` or ``await ...call_async(request)``, and read the
``GrpcResponse``. Every name a service needs is importable from here; the modules behind
them are internal. Optional pieces live in their own modules so that their libraries stay
optional: ``grpc_request_client.otel`` (the ``otel`` extra), ``grpc_request_client.prometheus``
(the ``prometheus`` extra) and ``grpc_request_client.testing`` (test doubles and a pytest
plugin).
"""

from grpc_request_client.asgi import RequestContextMiddleware
from grpc_request_client.blocking import EventLoopBlockedWarning
from grpc_request_client.channels import ChannelRegistry
from grpc_request_client.client import GrpcClient
from grpc_request_client.client_options import GrpcClientOptions
from grpc_request_client.context import RequestContext, RequestContextData
from grpc_request_client.discovery import (
    DnsServiceRegistry,
    EnvironmentServiceRegistry,
    ServiceAddress,
    ServiceRegistry,
    StaticServiceRegistry,
)
from grpc_request_client.errors import (
    GrpcClientAlreadyRegistered,
    GrpcClientClosed,
    GrpcClientError,
    GrpcObservabilityError,
    GrpcRequestMessagesFailed,
    GrpcStreamClosed,
    GrpcStreamNotFinished,
    InvalidBearerToken,
    InvalidCorrelationId,
    InvalidGrpcClientEnvironment,
    InvalidGrpcClientName,
    InvalidGrpcClientSettings,
    InvalidGrpcMessage,
    InvalidGrpcMetadata,
    InvalidGrpcRequest,
    InvalidGrpcResponse,
    InvalidGrpcTimeout,
    InvalidOpenTelemetrySetup,
    InvalidPrometheusMetrics,
    InvalidServiceAddress,
    InvalidServiceRegistry,
    InvalidTlsSettings,
    InvalidTraceId,
    InvalidUserId,
    PrometheusMetricsConflict,
    ServiceDiscoveryError,
    ServiceNotFound,
    UnknownGrpcClient,
    UnknownGrpcMethod,
    UnsupportedGrpcMethod,
)
from grpc_request_client.health import HealthCheckResult, HealthStatus
from grpc_request_client.injection import GrpcClientsModule
from grpc_request_client.invocation import GrpcInvocation
from grpc_request_client.logs import FailureLogLevels
from grpc_request_client.metadata import GrpcMetadata
from grpc_request_client.options import KeepaliveSettings
from grpc_request_client.policies import BulkheadPolicy, CircuitBreakerPolicy, RetryPolicy
from grpc_request_client.registry import GrpcClientRegistry, ServiceDiscoveryGrpcClient
from grpc_request_client.remote_errors import (
    RemoteRequestInvalid,
    RemoteResourceConflict,
    RemoteResourceNotFound,
    RemoteServiceError,
    RemoteServiceFailed,
    RemoteServiceOverloaded,
    RemoteServicePermissionDenied,
    RemoteServiceTimeout,
    RemoteServiceUnauthenticated,
    RemoteServiceUnavailable,
)
from grpc_request_client.request import (
    BaseGrpcRequest,
    GrpcRequest,
    RequestMetadata,
    StreamingGrpcRequest,
)
from grpc_request_client.response import GrpcResponse
from grpc_request_client.security import TlsSettings
from grpc_request_client.server import (
    AsyncRequestContextServerInterceptor,
    RequestContextServerInterceptor,
)
from grpc_request_client.settings import GrpcClientSettings
from grpc_request_client.stages import GrpcCallStage, GrpcClientView
from grpc_request_client.streams import AsyncGrpcStream, GrpcStream

__all__ = [
    "AsyncGrpcStream",
    "AsyncRequestContextServerInterceptor",
    "BaseGrpcRequest",
    "BulkheadPolicy",
    "ChannelRegistry",
    "CircuitBreakerPolicy",
    "DnsServiceRegistry",
    "EnvironmentServiceRegistry",
    "EventLoopBlockedWarning",
    "FailureLogLevels",
    "GrpcCallStage",
    "GrpcClient",
    "GrpcClientAlreadyRegistered",
    "GrpcClientClosed",
    "GrpcClientError",
    "GrpcClientOptions",
    "GrpcClientRegistry",
    "GrpcClientSettings",
    "GrpcClientView",
    "GrpcClientsModule",
    "GrpcInvocation",
    "GrpcMetadata",
    "GrpcObservabilityError",
    "GrpcRequest",
    "GrpcRequestMessagesFailed",
    "GrpcResponse",
    "GrpcStream",
    "GrpcStreamClosed",
    "GrpcStreamNotFinished",
    "HealthCheckResult",
    "HealthStatus",
    "InvalidBearerToken",
    "InvalidCorrelationId",
    "InvalidGrpcClientEnvironment",
    "InvalidGrpcClientName",
    "InvalidGrpcClientSettings",
    "InvalidGrpcMessage",
    "InvalidGrpcMetadata",
    "InvalidGrpcRequest",
    "InvalidGrpcResponse",
    "InvalidGrpcTimeout",
    "InvalidOpenTelemetrySetup",
    "InvalidPrometheusMetrics",
    "InvalidServiceAddress",
    "InvalidServiceRegistry",
    "InvalidTlsSettings",
    "InvalidTraceId",
    "InvalidUserId",
    "KeepaliveSettings",
    "PrometheusMetricsConflict",
    "RemoteRequestInvalid",
    "RemoteResourceConflict",
    "RemoteResourceNotFound",
    "RemoteServiceError",
    "RemoteServiceFailed",
    "RemoteServiceOverloaded",
    "RemoteServicePermissionDenied",
    "RemoteServiceTimeout",
    "RemoteServiceUnauthenticated",
    "RemoteServiceUnavailable",
    "RequestContext",
    "RequestContextData",
    "RequestContextMiddleware",
    "RequestContextServerInterceptor",
    "RequestMetadata",
    "RetryPolicy",
    "ServiceAddress",
    "ServiceDiscoveryError",
    "ServiceDiscoveryGrpcClient",
    "ServiceNotFound",
    "ServiceRegistry",
    "StaticServiceRegistry",
    "StreamingGrpcRequest",
    "TlsSettings",
    "UnknownGrpcClient",
    "UnknownGrpcMethod",
    "UnsupportedGrpcMethod",
]
