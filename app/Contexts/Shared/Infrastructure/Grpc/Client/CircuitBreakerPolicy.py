import math
from dataclasses import dataclass
from typing import Literal

import grpc

from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcClientSettings import (
    InvalidGrpcClientSettings,
)

_WHOLE_NUMBERS = ("minimum_calls", "window_size", "half_open_calls")


def _is_number(value: object) -> bool:
    """``True`` and ``False`` are ints to Python, but a setting given one is a mistake."""
    return isinstance(value, int | float) and not isinstance(value, bool)


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
    breaker could never use; ``True``/``False`` are not numbers here.
    ``failure_threshold`` (N failures in a row) is gone, with no deprecation
    before 1.0: one dying replica of three behind ``round_robin`` tripped it
    for all three.
    """

    failure_rate_threshold: float = 50.0
    minimum_calls: int = 20
    window_size: int = 100
    reset_timeout: float = 10.0
    half_open_calls: int = 10
    failure_codes: frozenset[grpc.StatusCode] = frozenset(
        {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}
    )
    scope: Literal["target", "method"] = "target"
    enabled: bool = True

    @classmethod
    def disabled(cls) -> "CircuitBreakerPolicy":
        return cls(enabled=False)

    def __post_init__(self) -> None:
        for name in _WHOLE_NUMBERS:
            value = getattr(self, name)
            if type(value) is not int or value < 1:
                raise InvalidGrpcClientSettings(
                    f"{name} must be an int of at least 1, got {value!r}"
                )
        self._check_numbers()
        self._check_codes()
        if self.scope not in ("target", "method"):
            raise InvalidGrpcClientSettings(
                f"scope must be 'target' or 'method', got {self.scope!r}"
            )
        if type(self.enabled) is not bool:
            raise InvalidGrpcClientSettings(f"enabled must be True or False, got {self.enabled!r}")

    def _check_numbers(self) -> None:
        rate = self.failure_rate_threshold
        if not _is_number(rate) or not 0 < rate <= 100:
            raise InvalidGrpcClientSettings(
                f"failure_rate_threshold must be a percentage above 0 and at most 100, got {rate!r}"
            )
        timeout = self.reset_timeout
        if not _is_number(timeout) or not 0 < timeout < math.inf:
            raise InvalidGrpcClientSettings(
                f"reset_timeout must be a positive number of seconds, got {timeout!r}"
            )

    def _check_codes(self) -> None:
        if not isinstance(self.failure_codes, frozenset) or not all(
            isinstance(code, grpc.StatusCode) for code in self.failure_codes
        ):
            raise InvalidGrpcClientSettings("failure_codes must be a frozenset of grpc.StatusCode")
        if grpc.StatusCode.OK in self.failure_codes:
            raise InvalidGrpcClientSettings("failure_codes cannot hold OK: it is a success")
