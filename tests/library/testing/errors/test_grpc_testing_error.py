from grpc_request_client import GrpcClientError
from grpc_request_client.testing import (
    GrpcTestingError,
    InvalidFakeAnswer,
    InvalidGrpcTestServerSettings,
    InvalidServicer,
)


def test_each_error_is_also_the_builtin_kind_callers_already_catch() -> None:
    assert issubclass(InvalidFakeAnswer, ValueError)
    assert issubclass(InvalidServicer, TypeError)
    assert issubclass(InvalidGrpcTestServerSettings, ValueError)
    assert not issubclass(GrpcTestingError, (ValueError, TypeError, GrpcClientError))
