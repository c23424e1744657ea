import importlib

from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors import GrpcClientError
from app.Contexts.Shared.Infrastructure.Grpc.Testing.Errors import (
    GrpcTestingError,
    InvalidFakeAnswer,
    InvalidGrpcTestServerSettings,
    InvalidServicer,
)


def test_the_errors_package_exports_exactly_the_error_tree() -> None:
    errors = importlib.import_module("app.Contexts.Shared.Infrastructure.Grpc.Testing.Errors")

    assert sorted(errors.__all__) == sorted(
        name for name in dir(errors) if isinstance(getattr(errors, name), type)
    )
    assert all(issubclass(getattr(errors, name), GrpcTestingError) for name in errors.__all__)


def test_each_error_is_also_the_builtin_kind_callers_already_catch() -> None:
    assert issubclass(InvalidFakeAnswer, ValueError)
    assert issubclass(InvalidServicer, TypeError)
    assert issubclass(InvalidGrpcTestServerSettings, ValueError)
    assert not issubclass(GrpcTestingError, (ValueError, TypeError, GrpcClientError))
