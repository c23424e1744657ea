import re

from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcClientName import (
    InvalidGrpcClientName,
)

_NAME = re.compile(r"[A-Za-z0-9]+(?:[-._][A-Za-z0-9]+)*")


class GrpcClientName:
    """The names downstream services are registered by, and the variables they become.

    A name is the start of environment variable names, so it is letters and
    digits joined by ``-``, ``.`` or ``_``: ``user-service`` reads
    ``USER_SERVICE_GRPC_TARGET``. The rule is ``EnvironmentServiceRegistry``'s,
    so one deployment's ``USER_SERVICE_GRPC_HOST`` serves both.
    """

    @staticmethod
    def check(name: object) -> str:
        if isinstance(name, str) and _NAME.fullmatch(name):
            return name
        raise InvalidGrpcClientName(
            "a client name must be letters and digits joined by '-', '.' or '_' "
            f"(it starts the names of its environment variables), got {name!r}"
        )

    @staticmethod
    def prefix(name: str) -> str:
        """``user-service`` and ``user.service`` give ``USER_SERVICE_GRPC_``."""
        return name.replace("-", "_").replace(".", "_").upper() + "_GRPC_"
