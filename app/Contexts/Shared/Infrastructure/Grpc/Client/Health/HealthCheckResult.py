from dataclasses import dataclass
from types import MappingProxyType

import grpc
from grpc_health.v1.health_pb2 import HealthCheckResponse

from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcResponse import GrpcResponse
from app.Contexts.Shared.Infrastructure.Grpc.Client.Health.HealthStatus import HealthStatus

_ANSWERED = MappingProxyType(
    {
        HealthCheckResponse.SERVING: HealthStatus.SERVING,
        HealthCheckResponse.NOT_SERVING: HealthStatus.NOT_SERVING,
        HealthCheckResponse.SERVICE_UNKNOWN: HealthStatus.SERVICE_UNKNOWN,
    }
)
_FAILED = MappingProxyType(
    {
        grpc.StatusCode.NOT_FOUND: HealthStatus.SERVICE_UNKNOWN,
        grpc.StatusCode.UNIMPLEMENTED: HealthStatus.UNIMPLEMENTED,
        grpc.StatusCode.UNAVAILABLE: HealthStatus.UNREACHABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED: HealthStatus.UNREACHABLE,
    }
)


@dataclass(frozen=True, slots=True)
class HealthCheckResult:
    """The outcome of one health check, as a value: whatever the server did, nothing is raised.

    ``status`` is what to branch on, or the result itself as a bool (the seed's
    ``check_health() -> bool``); ``code`` and ``details`` are the call's own,
    kept for logs and for the cases ``status`` folds together (UNKNOWN covers a
    server that said UNKNOWN and, say, PERMISSION_DENIED alike).
    """

    service: str
    status: HealthStatus
    code: grpc.StatusCode
    details: str = ""

    @classmethod
    def from_response(cls, service: str, response: GrpcResponse) -> "HealthCheckResult":
        if response.is_success():
            status = _ANSWERED.get(response.message().status, HealthStatus.UNKNOWN)
        else:
            status = _FAILED.get(response.status_code(), HealthStatus.UNKNOWN)
        return cls(service, status, response.status_code(), response.details())

    def is_serving(self) -> bool:
        return self.status is HealthStatus.SERVING

    def __bool__(self) -> bool:
        """Truthy only when SERVING, so ``if not client.check_health():`` catches all the rest.

        Without it every result is truthy, being an object, and that test would
        never fire for a server that says NOT_SERVING or cannot be reached.
        """
        return self.is_serving()
