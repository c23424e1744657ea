import math
from dataclasses import dataclass
from numbers import Real

import grpc

from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcClientSettings import (
    InvalidGrpcClientSettings,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Options.TimeoutSeconds import (
    MAX_SECONDS,
    TimeoutSeconds,
)


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
    each one, which is what gives a DEADLINE_EXCEEDED retry time to succeed.
    """

    max_attempts: int = 3
    initial_backoff: float = 0.05
    max_backoff: float = 1.0
    multiplier: float = 2.0
    jitter: float = 0.05
    retryable_codes: frozenset[grpc.StatusCode] = frozenset(
        {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}
    )
    attempt_timeout: float | None = None

    @classmethod
    def disabled(cls) -> "RetryPolicy":
        return cls(max_attempts=1)

    def __post_init__(self) -> None:
        if type(self.max_attempts) is not int or self.max_attempts < 1:
            raise InvalidGrpcClientSettings("max_attempts must be an int of at least 1")
        for name in ("initial_backoff", "max_backoff", "jitter"):
            value = getattr(self, name)
            if not _is_number(value) or not 0 <= value <= MAX_SECONDS:
                raise InvalidGrpcClientSettings(
                    f"{name} must be a number of seconds from 0 to {MAX_SECONDS:.0e}, got {value!r}"
                )
        if not _is_number(self.multiplier) or not 1 <= self.multiplier < math.inf:
            raise InvalidGrpcClientSettings(
                f"multiplier must be a finite number >= 1, got {self.multiplier!r}"
            )
        if not isinstance(self.retryable_codes, frozenset) or not all(
            isinstance(code, grpc.StatusCode) for code in self.retryable_codes
        ):
            raise InvalidGrpcClientSettings(
                "retryable_codes must be a frozenset of grpc.StatusCode"
            )
        if grpc.StatusCode.OK in self.retryable_codes:
            raise InvalidGrpcClientSettings("OK is a success, not a retryable code")
        if self.attempt_timeout is not None:
            TimeoutSeconds.parse(self.attempt_timeout, InvalidGrpcClientSettings, "attempt_timeout")

    def retries(self, code: grpc.StatusCode, idempotent: bool, never_sent: bool) -> bool:
        """Whether an attempt that failed with ``code`` is tried again.

        ``never_sent`` says the attempt is proven never to have left the client,
        the only case in which a request that is not idempotent is sent again.
        """
        if self.max_attempts == 1 or code not in self.retryable_codes:
            return False
        return idempotent or never_sent


def _is_number(value: object) -> bool:
    """A real number, not a bool: ``True`` is an int to Python but never meant as seconds."""
    return isinstance(value, Real) and not isinstance(value, bool)
