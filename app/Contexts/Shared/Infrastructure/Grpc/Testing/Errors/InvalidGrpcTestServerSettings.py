from app.Contexts.Shared.Infrastructure.Grpc.Testing.Errors.GrpcTestingError import (
    GrpcTestingError,
)


class InvalidGrpcTestServerSettings(GrpcTestingError, ValueError):
    """A ``GrpcTestServer`` option it cannot start with (a bad pool size, port, interceptor...).

    Also sync and grpc.aio pieces in one server (see ``ServerKind``), and a
    server used in a way it cannot be (``health`` with ``health=False``).
    """
