from dataclasses import dataclass

from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcClientSettings import (
    InvalidGrpcClientSettings,
)

_INT_MAX = 2**31 - 1  # grpc channel arguments are C ints


@dataclass(frozen=True, slots=True)
class KeepaliveSettings:
    """HTTP/2 pings that find a dead connection before a call has to.

    Without them, a connection silently dropped by a NAT or a load balancer is
    found out by the next call, which waits out its deadline. The defaults
    besides ``time_ms`` are grpc's own. The server must accept pings this often
    (its ``grpc.http2.min_ping_interval_without_data_ms``, and
    ``grpc.keepalive_permit_without_calls`` for pings while idle); otherwise it
    closes the connection with ``too_many_pings`` and the client backs off.
    """

    time_ms: int
    timeout_ms: int = 20_000
    permit_without_calls: bool = False
    max_pings_without_data: int = 2

    def __post_init__(self) -> None:
        for name, least in (("time_ms", 1), ("timeout_ms", 1), ("max_pings_without_data", 0)):
            value = getattr(self, name)
            if type(value) is not int or not least <= value <= _INT_MAX:
                raise InvalidGrpcClientSettings(
                    f"keepalive {name} must be an int from {least} to {_INT_MAX}, got {value!r}"
                )
        if type(self.permit_without_calls) is not bool:
            raise InvalidGrpcClientSettings(
                f"keepalive permit_without_calls must be a bool, got {self.permit_without_calls!r}"
            )

    def channel_options(self) -> tuple[tuple[str, int], ...]:
        return (
            ("grpc.keepalive_time_ms", self.time_ms),
            ("grpc.keepalive_timeout_ms", self.timeout_ms),
            ("grpc.keepalive_permit_without_calls", int(self.permit_without_calls)),
            ("grpc.http2.max_pings_without_data", self.max_pings_without_data),
        )
