from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.GrpcClientError import GrpcClientError


class InvalidGrpcRequest(GrpcClientError):
    """A request object declares something that cannot be sent; nothing went on the wire."""
