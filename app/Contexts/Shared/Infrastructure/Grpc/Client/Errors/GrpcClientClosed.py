from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.GrpcClientError import GrpcClientError


class GrpcClientClosed(GrpcClientError, RuntimeError):
    """A call was made after ``close()``: reopening silently would leak the connection again."""
