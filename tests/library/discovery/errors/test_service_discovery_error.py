from grpc_request_client import (
    InvalidServiceAddress,
    InvalidServiceRegistry,
    ServiceDiscoveryError,
    ServiceNotFound,
)


def test_each_error_is_also_the_builtin_kind_callers_already_catch() -> None:
    assert issubclass(ServiceNotFound, LookupError)
    assert issubclass(InvalidServiceAddress, ValueError)
    assert issubclass(InvalidServiceRegistry, ValueError)
    assert not issubclass(ServiceDiscoveryError, (LookupError, ValueError))
