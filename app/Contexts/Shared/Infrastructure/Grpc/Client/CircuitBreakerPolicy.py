import math
from dataclasses import dataclass, field
from typing import Literal

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

_CALLS = Check.count(1)
_RATE = Check.number(lambda rate: 0 < rate <= 100, "a percentage above 0 and at most 100")
_SECONDS = Check.number(lambda seconds: 0 < seconds < math.inf, "a positive number of seconds")


@dataclass(frozen=True, slots=True)
class CircuitBreakerPolicy:
    """When to stop calling a backend that fails too often, and when to try it again.

    The model is resilience4j's count-based circuit breaker
    (``failureRateThreshold``, ``minimumNumberOfCalls``, ``slidingWindowSize``,
    ``waitDurationInOpenState``, ``permittedNumberOfCallsInHalfOpenState``):

    - closed: the outcomes of the last ``window_size`` calls are kept. Once at
      least ``minimum_calls`` are in and ``failure_rate_threshold`` percent or
      more of them failed, the circuit opens. A ``minimum_calls`` above
      ``window_size`` counts as ``window_size`` (a full window), as in
      resilience4j's ``CircuitBreakerConfig.Builder.slidingWindow``.
    - open: calls are refused without touching the network for
      ``reset_timeout`` seconds.
    - half-open: then ``half_open_calls`` trial calls go through; once all of
      them have an outcome, a failure rate at or above the threshold opens the
      circuit again and anything below closes it with an empty window.

    Only ``failure_codes`` count as failures (UNAVAILABLE and DEADLINE_EXCEEDED
    by default); any other code is a success, since the server answered (a
    NOT_FOUND says it is healthy). ``scope`` decides what trips together: the
    whole target (one backend down stops every method) or each method on its
    own (one broken method does not block the others).

    Raises ``InvalidGrpcClientSettings`` naming the field for a value the
    breaker could never use; ``True``/``False`` are not numbers here. Each
    field declares its check and its variable (``CIRCUIT_BREAKER_`` and the
    field, upper-cased).
    ``failure_threshold`` (N failures in a row) is gone, with no deprecation
    before 1.0: one dying replica of three behind ``round_robin`` tripped it
    for all three.
    """

    failure_rate_threshold: float = field(
        default=50.0,
        metadata=Setting.meta(_RATE, env="FAILURE_RATE_THRESHOLD", read=Value.number),
    )
    minimum_calls: int = field(
        default=20, metadata=Setting.meta(_CALLS, env="MINIMUM_CALLS", read=Value.integer)
    )
    window_size: int = field(
        default=100, metadata=Setting.meta(_CALLS, env="WINDOW_SIZE", read=Value.integer)
    )
    reset_timeout: float = field(
        default=10.0, metadata=Setting.meta(_SECONDS, env="RESET_TIMEOUT", read=Value.number)
    )
    half_open_calls: int = field(
        default=10, metadata=Setting.meta(_CALLS, env="HALF_OPEN_CALLS", read=Value.integer)
    )
    failure_codes: frozenset[grpc.StatusCode] = field(
        default=frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}),
        metadata=Setting.meta(Check.status_codes, env="FAILURE_CODES", read=Value.status_codes),
    )
    scope: Literal["target", "method"] = field(
        default="target",
        metadata=Setting.meta(Check.choice("target", "method"), env="SCOPE", read=Value.text),
    )
    enabled: bool = field(
        default=True, metadata=Setting.meta(Check.flag, env="ENABLED", read=Value.boolean)
    )

    @classmethod
    def disabled(cls) -> "CircuitBreakerPolicy":
        return cls(enabled=False)

    def __post_init__(self) -> None:
        DeclaredSettings.normalize(self)
