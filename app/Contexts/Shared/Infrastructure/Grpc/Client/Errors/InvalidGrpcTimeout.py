from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcRequest import (
    InvalidGrpcRequest,
)


class InvalidGrpcTimeout(InvalidGrpcRequest, ValueError):
    """``timeout()`` is not a positive, finite number of seconds (or ``None`` for the default)."""
