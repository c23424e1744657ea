from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.GrpcClientError import GrpcClientError


class InvalidGrpcClientName(GrpcClientError, ValueError):
    """A client registry name no environment variable can be made of (empty, a space, a ``:``)."""
