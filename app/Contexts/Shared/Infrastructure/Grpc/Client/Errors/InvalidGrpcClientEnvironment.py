from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcClientSettings import (
    InvalidGrpcClientSettings,
)


class InvalidGrpcClientEnvironment(InvalidGrpcClientSettings):
    """An environment variable overrides a client setting with a value it could never use.

    Raised when the service is registered, so a deployment's typo stops the
    process at start-up. ``variable`` names the variable; the message quotes
    the value only when it is not a secret (a bearer token, a private key).
    """

    def __init__(self, variable: str, reason: str) -> None:
        super().__init__(f"{variable}: {reason}")
        self.variable = variable
