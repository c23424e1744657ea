from enum import Enum


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
