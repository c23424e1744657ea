from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.GrpcClientError import GrpcClientError


class InvalidGrpcClientSettings(GrpcClientError, ValueError):
    """A client was built with settings it could never use; raised by the constructor."""
