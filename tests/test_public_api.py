"""The import paths the spec's examples use are public API: they must keep working."""

import importlib

import pytest

SEED_PATHS = [
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
IDENTITY_PATHS = [
    ("app.Contexts.Shared.Infrastructure.Http.Context.RequestContextData", "RequestContextData"),
    ("app.Contexts.Shared.Infrastructure.Http.Context.InvalidTraceId", "InvalidTraceId"),
    ("app.Contexts.Shared.Infrastructure.Http.Context.InvalidUserId", "InvalidUserId"),
    (
        "app.Contexts.Shared.Infrastructure.Http.Context.InvalidCorrelationId",
        "InvalidCorrelationId",
    ),
    (
        "app.Contexts.Shared.Infrastructure.Grpc.Server.RequestContextServerInterceptor",
        "RequestContextServerInterceptor",
    ),
    (
        "app.Contexts.Shared.Infrastructure.Grpc.Server.AsyncRequestContextServerInterceptor",
        "AsyncRequestContextServerInterceptor",
    ),
]

INTEGRATION_PATHS = [
    (f"app.Contexts.Shared.Infrastructure.Grpc.{path}", path.rsplit(".", 1)[1])
    for path in (
        "Client.Registry.GrpcClientRegistry",
        "Injection.GrpcClientsModule",
        "Testing.FakeGrpcClient",
        "Testing.GrpcTestServer",
    )
] + [
    ("app.Contexts.Shared.Domain.Errors.RemoteServiceError", "RemoteServiceError"),
    ("app.Contexts.Backoffice.Users.Infrastructure.Grpc.UserGrpcService", "UserGrpcService"),
    ("app.Contexts.Backoffice.Users.Infrastructure.UsersModule", "UsersModule"),
]


@pytest.mark.parametrize(("module", "name"), SEED_PATHS + IDENTITY_PATHS + INTEGRATION_PATHS)
def test_each_class_lives_in_the_module_named_after_it(module: str, name: str) -> None:
    cls = getattr(importlib.import_module(module), name)

    assert cls.__name__ == name
    assert cls.__module__ == module


def test_the_errors_package_exports_exactly_the_error_tree() -> None:
    errors = importlib.import_module("app.Contexts.Shared.Infrastructure.Grpc.Client.Errors")
    root = errors.GrpcClientError

    assert sorted(errors.__all__) == sorted(
        name for name in dir(errors) if isinstance(getattr(errors, name), type)
    )
    assert all(issubclass(getattr(errors, name), root) for name in errors.__all__)


CLIENT_PACKAGE = "app.Contexts.Shared.Infrastructure.Grpc.Client"
CLIENT_SURFACE = [
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


def test_the_client_package_exports_exactly_its_public_names() -> None:
    """A name added to or dropped from the surface is a decision: this test makes it visible."""
    package = importlib.import_module(CLIENT_PACKAGE)

    assert sorted(package.__all__) == CLIENT_SURFACE


@pytest.mark.parametrize("name", CLIENT_SURFACE)
def test_each_public_name_is_the_class_of_its_own_module(name: str) -> None:
    exported = getattr(importlib.import_module(CLIENT_PACKAGE), name)

    assert exported.__name__ == name
    assert exported.__module__.startswith(f"{CLIENT_PACKAGE}.")
    assert exported.__module__.endswith(f".{name}")
