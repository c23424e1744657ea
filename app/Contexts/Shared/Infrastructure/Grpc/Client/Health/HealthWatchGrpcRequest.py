from app.Contexts.Shared.Infrastructure.Grpc.Client.Health.HealthCheckGrpcRequest import (
    HealthCheckGrpcRequest,
)


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
