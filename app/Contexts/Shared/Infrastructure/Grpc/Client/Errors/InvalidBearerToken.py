from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcClientSettings import (
    InvalidGrpcClientSettings,
)


class InvalidBearerToken(InvalidGrpcClientSettings):
    """A bearer token that cannot be sent: malformed, or with no TLS to carry it.

    The message says what is wrong with the token and never repeats it.
    """
