from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcRequest import (
    InvalidGrpcRequest,
)


class InvalidGrpcMetadata(InvalidGrpcRequest, ValueError):
    """A metadata key or value that gRPC would reject or mangle, or more than a server takes.

    ``key`` names the offending key; the value is never repeated in the message,
    since metadata values are where credentials travel.
    """

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"metadata key {key!r}: {reason}")
        self.key = key
