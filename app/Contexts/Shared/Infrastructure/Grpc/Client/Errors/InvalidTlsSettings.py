from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcClientSettings import (
    InvalidGrpcClientSettings,
)


class InvalidTlsSettings(InvalidGrpcClientSettings):
    """TLS material the client could never use: unreadable, not PEM, or half of a key pair.

    The message names the field and, for a file, its path; it never quotes the
    material itself, since one of the fields is a private key.
    """
