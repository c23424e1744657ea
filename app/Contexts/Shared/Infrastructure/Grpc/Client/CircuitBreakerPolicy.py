import math
from dataclasses import dataclass
from typing import Literal

import grpc

from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcClientSettings import (
    InvalidGrpcClientSettings,
)


@dataclass(frozen=True, slots=True)
class CircuitBreakerPolicy:
    """When to stop calling a backend that keeps failing, and when to try it again.

    Only transport-type failures count (UNAVAILABLE and DEADLINE_EXCEEDED by
    default): a NOT_FOUND says the server is healthy. ``scope`` decides what
    trips together: the whole target (one backend down stops every method) or
    each method on its own (one broken method does not block the others).
    """

    failure_threshold: int = 5
    reset_timeout: float = 10.0
    failure_codes: frozenset[grpc.StatusCode] = frozenset(
        {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}
    )
    scope: Literal["target", "method"] = "target"
    enabled: bool = True

    @classmethod
    def disabled(cls) -> "CircuitBreakerPolicy":
        return cls(enabled=False)

    def __post_init__(self) -> None:
        if type(self.failure_threshold) is not int or self.failure_threshold < 1:
            raise InvalidGrpcClientSettings("failure_threshold must be an int of at least 1")
        timeout = self.reset_timeout
        if not isinstance(timeout, int | float) or not 0 < timeout < math.inf:
            raise InvalidGrpcClientSettings("reset_timeout must be a positive number of seconds")
        if self.scope not in ("target", "method"):
            raise InvalidGrpcClientSettings("scope must be 'target' or 'method'")
        if not isinstance(self.failure_codes, frozenset) or not all(
            isinstance(code, grpc.StatusCode) for code in self.failure_codes
        ):
            raise InvalidGrpcClientSettings("failure_codes must be a frozenset of grpc.StatusCode")
