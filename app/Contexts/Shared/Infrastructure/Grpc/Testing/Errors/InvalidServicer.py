from app.Contexts.Shared.Infrastructure.Grpc.Testing.Errors.GrpcTestingError import (
    GrpcTestingError,
)


class InvalidServicer(GrpcTestingError, TypeError):
    """Something given to ``GrpcTestServer`` that a grpc server cannot serve, or serves twice."""
