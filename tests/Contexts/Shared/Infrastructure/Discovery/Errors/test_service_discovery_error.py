import importlib

from app.Contexts.Shared.Infrastructure.Discovery.Errors import (
    InvalidServiceAddress,
    InvalidServiceRegistry,
    ServiceDiscoveryError,
    ServiceNotFound,
)


def test_the_errors_package_exports_exactly_the_error_tree() -> None:
    errors = importlib.import_module("app.Contexts.Shared.Infrastructure.Discovery.Errors")

    assert sorted(errors.__all__) == sorted(
        name for name in dir(errors) if isinstance(getattr(errors, name), type)
    )
    assert all(issubclass(getattr(errors, name), ServiceDiscoveryError) for name in errors.__all__)


def test_each_error_is_also_the_builtin_kind_callers_already_catch() -> None:
    assert issubclass(ServiceNotFound, LookupError)
    assert issubclass(InvalidServiceAddress, ValueError)
    assert issubclass(InvalidServiceRegistry, ValueError)
    assert not issubclass(ServiceDiscoveryError, (LookupError, ValueError))
