from grpc_health.v1.health_pb2 import HealthCheckRequest

from app.Contexts.Shared.Infrastructure.Grpc.Client.BaseGrpcRequest import BaseGrpcRequest
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcRequest import (
    InvalidGrpcRequest,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcTimeout import (
    InvalidGrpcTimeout,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Options.TimeoutSeconds import TimeoutSeconds


class HealthCheckGrpcRequest(BaseGrpcRequest):
    """``grpc.health.v1.Health/Check`` as an ordinary request object.

    Sent through ``GrpcClient.call`` like any other request, a check gets what
    every call gets (the trace id, the log event, whatever the call path learns
    later) instead of a stub that bypasses it. Importing ``health_pb2`` above is
    what puts the service in the descriptor pool the client resolves from.
    Arguments are checked here, so a wrong one raises before anything is sent.
    """

    def __init__(self, service: str = "", timeout: float | None = None) -> None:
        if not isinstance(service, str):
            raise InvalidGrpcRequest(
                f"a health check names its service with a str ('' for the whole server), "
                f"got {type(service).__qualname__}"
            )
        self._service = service
        self._timeout = timeout
        if timeout is not None:
            self._timeout = TimeoutSeconds.parse(timeout, InvalidGrpcTimeout, "timeout")

    def service_name(self) -> str:
        return "grpc.health.v1.Health"

    def method_name(self) -> str:
        return "Check"

    def message(self) -> HealthCheckRequest:
        return HealthCheckRequest(service=self._service)

    def timeout(self) -> float | None:
        return self._timeout

    def idempotent(self) -> bool:
        """A check only reads, so the client's retry policy may repeat it on any retryable code."""
        return True
