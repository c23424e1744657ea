from dataclasses import dataclass, field

from app.Contexts.Shared.Infrastructure.Grpc.Client.Declaration.DeclaredSettings import (
    DeclaredSettings,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Declaration.EnvironmentValue import (
    EnvironmentValue as Value,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Declaration.SettingCheck import (
    SettingCheck as Check,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Declaration.SettingDeclaration import (
    SettingDeclaration as Setting,
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

    time_ms: int = field(
        metadata=Setting.meta(Check.count(1, _INT_MAX), env="TIME_MS", read=Value.integer)
    )
    timeout_ms: int = field(
        default=20_000,
        metadata=Setting.meta(Check.count(1, _INT_MAX), env="TIMEOUT_MS", read=Value.integer),
    )
    permit_without_calls: bool = field(
        default=False,
        metadata=Setting.meta(Check.flag, env="PERMIT_WITHOUT_CALLS", read=Value.boolean),
    )
    max_pings_without_data: int = field(
        default=2,
        metadata=Setting.meta(
            Check.count(0, _INT_MAX), env="MAX_PINGS_WITHOUT_DATA", read=Value.integer
        ),
    )

    def __post_init__(self) -> None:
        DeclaredSettings.normalize(self, "keepalive ")

    def channel_options(self) -> tuple[tuple[str, int], ...]:
        return (
            ("grpc.keepalive_time_ms", self.time_ms),
            ("grpc.keepalive_timeout_ms", self.timeout_ms),
            ("grpc.keepalive_permit_without_calls", int(self.permit_without_calls)),
            ("grpc.http2.max_pings_without_data", self.max_pings_without_data),
        )
