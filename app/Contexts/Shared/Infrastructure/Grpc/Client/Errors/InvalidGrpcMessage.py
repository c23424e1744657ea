from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcRequest import (
    InvalidGrpcRequest,
)


class InvalidGrpcMessage(InvalidGrpcRequest, TypeError):
    """``message()`` returned something the method cannot take.

    Also a ``TypeError`` because that is what it is: code that catches type errors
    around a call keeps working.
    """
