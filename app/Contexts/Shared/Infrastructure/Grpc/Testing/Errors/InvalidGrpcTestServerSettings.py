from app.Contexts.Shared.Infrastructure.Grpc.Testing.Errors.GrpcTestingError import (
    GrpcTestingError,
)


class InvalidGrpcTestServerSettings(GrpcTestingError, ValueError):
    """A ``GrpcTestServer`` option it cannot start with (a bad pool size, port, interceptor...)."""
