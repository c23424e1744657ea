import math
from dataclasses import dataclass, field

import grpc

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
from app.Contexts.Shared.Infrastructure.Grpc.Client.Options.TimeoutSeconds import (
    MAX_SECONDS,
    TimeoutSeconds,
)

_BACKOFF = Check.number(
    lambda seconds: 0 <= seconds <= MAX_SECONDS,
    f"a number of seconds from 0 to {MAX_SECONDS:.0e}",
)
_MULTIPLIER = Check.number(lambda value: 1 <= value < math.inf, "a finite number >= 1")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When and how often a failed call is tried again.

    A failure whose code is in ``retryable_codes`` (UNAVAILABLE and
    DEADLINE_EXCEEDED by default) is retried for requests that declare
    ``idempotent()``. Any of them may arrive after the server did the work:
    UNAVAILABLE too, when the server crashed before replying or the connection
    broke after the request was written (grpc's doc/statuscodes.md). So a
    request that is not idempotent is sent again only when the failed attempt
    is proven never to have left the client (``SendEvidence``: no connection
    could be made, no address resolved, call credentials failed). Backoff is exponential with jitter
    (tenacity's ``wait_exponential_jitter``): ``initial_backoff * multiplier **
    (n - 1)`` plus up to ``jitter`` seconds, capped at ``max_backoff``. All
    attempts share the request's timeout; ``attempt_timeout`` optionally caps
    each one, which is what gives a DEADLINE_EXCEEDED retry time to succeed
    (not a server-streaming or bidi attempt, which lasts its whole stream).

    Each field declares its check and its environment variable (``RETRY_`` and
    the field, upper-cased); a value no check takes, ``True`` for a number
    included, raises ``InvalidGrpcClientSettings`` naming the field.
    """

    max_attempts: int = field(
        default=3, metadata=Setting.meta(Check.count(1), env="MAX_ATTEMPTS", read=Value.integer)
    )
    initial_backoff: float = field(
        default=0.05, metadata=Setting.meta(_BACKOFF, env="INITIAL_BACKOFF", read=Value.number)
    )
    max_backoff: float = field(
        default=1.0, metadata=Setting.meta(_BACKOFF, env="MAX_BACKOFF", read=Value.number)
    )
    multiplier: float = field(
        default=2.0, metadata=Setting.meta(_MULTIPLIER, env="MULTIPLIER", read=Value.number)
    )
    jitter: float = field(
        default=0.05, metadata=Setting.meta(_BACKOFF, env="JITTER", read=Value.number)
    )
    retryable_codes: frozenset[grpc.StatusCode] = field(
        default=frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}),
        metadata=Setting.meta(Check.status_codes, env="RETRYABLE_CODES", read=Value.status_codes),
    )
    attempt_timeout: float | None = field(
        default=None,
        metadata=Setting.meta(
            Check.optional(Check.named(TimeoutSeconds.parse)),
            env="ATTEMPT_TIMEOUT",
            read=Value.optional(Value.number),
        ),
    )

    @classmethod
    def disabled(cls) -> "RetryPolicy":
        return cls(max_attempts=1)

    def __post_init__(self) -> None:
        DeclaredSettings.normalize(self)

    def retries(self, code: grpc.StatusCode, idempotent: bool, never_sent: bool) -> bool:
        """Whether an attempt that failed with ``code`` is tried again.

        ``never_sent`` says the attempt is proven never to have left the client,
        the only case in which a request that is not idempotent is sent again.
        """
        if self.max_attempts == 1 or code not in self.retryable_codes:
            return False
        return idempotent or never_sent
