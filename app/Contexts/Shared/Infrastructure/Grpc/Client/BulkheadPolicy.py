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


@dataclass(frozen=True, slots=True)
class BulkheadPolicy:
    """How many calls one client may have in flight, and what an extra call does.

    A slow backend otherwise soaks up every thread or task of the caller. Over
    the limit a call either waits for a free slot within its own timeout
    (``wait=True``) or fails at once with RESOURCE_EXHAUSTED (``wait=False``),
    for callers that prefer shedding load to queueing it.
    """

    max_in_flight: int = field(
        default=1000,
        metadata=Setting.meta(Check.count(1), env="MAX_IN_FLIGHT", read=Value.integer),
    )
    wait: bool = field(
        default=True, metadata=Setting.meta(Check.flag, env="WAIT", read=Value.boolean)
    )

    def __post_init__(self) -> None:
        DeclaredSettings.normalize(self)
