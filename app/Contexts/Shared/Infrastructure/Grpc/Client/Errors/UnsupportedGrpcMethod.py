from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.GrpcClientError import GrpcClientError


class UnsupportedGrpcMethod(GrpcClientError):
    """The method exists but streams; the client makes unary calls only, for now."""
