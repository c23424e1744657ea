"""The standard gRPC health service (``grpc.health.v1.Health``) as request objects and results."""

from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType

import grpc
from grpc_health.v1.health_pb2 import HealthCheckRequest, HealthCheckResponse

from grpc_request_client.errors import InvalidGrpcRequest, InvalidGrpcTimeout
from grpc_request_client.options import TimeoutSeconds
from grpc_request_client.request import BaseGrpcRequest
from grpc_request_client.response import GrpcResponse


class HealthCheckGrpcRequest(BaseGrpcRequest[HealthCheckResponse]):
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


class HealthStatus(Enum):
    """What a health check found out, including the outcomes that carry no serving status.

    The protocol's four statuses are joined by two that only the caller's side
    can see, so code can tell "the server says it is down" from "there is no
    health service to ask" from "nobody answered", and act differently on each.
    """

    SERVING = "SERVING"
    """The server says the service is up."""
    NOT_SERVING = "NOT_SERVING"
    """The server answered and says the service is down (starting, draining, broken)."""
    UNKNOWN = "UNKNOWN"
    """No usable status: the server said UNKNOWN, or the check failed in another way."""
    SERVICE_UNKNOWN = "SERVICE_UNKNOWN"
    """The server's health service does not know that service name (NOT_FOUND)."""
    UNIMPLEMENTED = "UNIMPLEMENTED"
    """The server answered, but serves no grpc.health.v1 service to ask."""
    UNREACHABLE = "UNREACHABLE"
    """No answer came back: the connection failed or the deadline passed."""


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

    ``status`` is what to branch on, or the result itself as a bool (``if not
    client.check_health():``); ``code`` and ``details`` are the call's own,
    kept for logs and for the cases ``status`` folds together (UNKNOWN covers a
    server that said UNKNOWN and, say, PERMISSION_DENIED alike).
    """

    service: str
    status: HealthStatus
    code: grpc.StatusCode
    details: str = ""

    @classmethod
    def from_response(
        cls, service: str, response: GrpcResponse[HealthCheckResponse]
    ) -> "HealthCheckResult":
        if response.is_success():
            status = _ANSWERED.get(response.reply().status, HealthStatus.UNKNOWN)
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


class HealthWatchGrpcRequest(HealthCheckGrpcRequest):
    """``grpc.health.v1.Health/Watch``: the server streams a service's status as it changes.

    The protocol (grpc/grpc doc/health-checking.md) sends the current status
    at once, then one message per change; a service the server does not know
    yet is SERVICE_UNKNOWN rather than a NOT_FOUND failure, since it may
    appear later. The watch lasts until its deadline (the ``timeout``, else the
    client's ``default_timeout``) or until the caller closes it.
    """

    def method_name(self) -> str:
        return "Watch"
