"""The public surface is a decision: these tests make any change to it visible.

The library's names come from ``grpc_request_client`` (and its optional modules); the
template's spec paths (``app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClient`` and
the like) are the same objects under the names the spec's examples import.
"""

import importlib
import inspect

import pytest

import grpc_request_client
from grpc_request_client import errors, remote_errors
from grpc_request_client.testing import errors as testing_errors

SPEC_PATHS = [
    ("app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClient", "GrpcClient"),
    ("app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcRequest", "GrpcRequest"),
    ("app.Contexts.Shared.Infrastructure.Grpc.Client.BaseGrpcRequest", "BaseGrpcRequest"),
    ("app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcResponse", "GrpcResponse"),
    ("app.Contexts.Shared.Infrastructure.Http.Context.RequestContext", "RequestContext"),
    (
        "app.Contexts.Shared.Infrastructure.Http.Middleware.RequestContextMiddleware",
        "RequestContextMiddleware",
    ),
]

PACKAGE_SURFACE = [
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
OPTIONAL_SURFACES = {
    "grpc_request_client.testing": [
        "FakeGrpcClient",
        "FakeStreamStalled",
        "GrpcTestServer",
        "GrpcTestingError",
        "InvalidFakeAnswer",
        "InvalidGrpcTestServerSettings",
        "InvalidServicer",
        "RecordedCall",
        "RecordedCalls",
    ],
    "grpc_request_client.otel": [
        "ADVISED_BUCKETS",
        "AsyncOpenTelemetryServerInterceptor",
        "OpenTelemetryClientStage",
        "OpenTelemetryServerInterceptor",
    ],
    "grpc_request_client.prometheus": [
        "AsyncPrometheusServerInterceptor",
        "GO_DEFAULT_BUCKETS",
        "PrometheusClientMetrics",
        "PrometheusServerInterceptor",
    ],
}
ERROR_MODULES = [errors, remote_errors, testing_errors]


@pytest.mark.parametrize(("module", "name"), SPEC_PATHS)
def test_the_spec_paths_are_the_library_objects(module: str, name: str) -> None:
    spec_object = getattr(importlib.import_module(module), name)

    assert spec_object is getattr(grpc_request_client, name)
    assert importlib.import_module(module).__all__ == [name]


def test_the_package_exports_exactly_its_public_names() -> None:
    assert sorted(grpc_request_client.__all__) == PACKAGE_SURFACE
    assert all(hasattr(grpc_request_client, name) for name in PACKAGE_SURFACE)


@pytest.mark.parametrize("module", OPTIONAL_SURFACES)
def test_each_optional_module_exports_exactly_its_public_names(module: str) -> None:
    imported = importlib.import_module(module)

    assert sorted(imported.__all__) == sorted(OPTIONAL_SURFACES[module])
    assert all(hasattr(imported, name) for name in imported.__all__)


def _errors_of(module: object) -> list[type[BaseException]]:
    return [
        cls
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, Exception) and cls.__module__ == getattr(module, "__name__", "")
    ]


@pytest.mark.parametrize("module", ERROR_MODULES, ids=lambda module: module.__name__)
def test_every_error_is_public_and_drawn_in_its_module_docstring(module: object) -> None:
    public = set(grpc_request_client.__all__) | set(
        OPTIONAL_SURFACES["grpc_request_client.testing"]
    )
    found = _errors_of(module)
    doc = getattr(module, "__doc__", "") or ""

    assert found
    assert [cls.__name__ for cls in found if cls.__name__ not in public] == []
    assert [cls.__name__ for cls in found if cls.__name__ not in doc] == []


def test_every_error_subclasses_exception_never_base_exception_alone() -> None:
    for module in ERROR_MODULES:
        for cls in _errors_of(module):
            assert cls.__mro__[-2] is BaseException
            assert issubclass(cls, Exception)
