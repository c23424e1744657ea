"""Resilience policies: retries, circuit breaker and bulkhead, as declared settings."""

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import grpc
from tenacity import RetryCallState, wait_exponential_jitter
from tenacity.wait import wait_base

from grpc_request_client.declaration import DeclaredSettings
from grpc_request_client.declaration import EnvironmentValue as Value
from grpc_request_client.declaration import SettingCheck as Check
from grpc_request_client.declaration import SettingDeclaration as Setting
from grpc_request_client.errors import InvalidGrpcClientSettings
from grpc_request_client.options import MAX_SECONDS, TimeoutSeconds


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


_BACKOFF = Check.number(
    lambda seconds: 0 <= seconds <= MAX_SECONDS,
    f"a number of seconds from 0 to {MAX_SECONDS:.0e}",
)
_MULTIPLIER = Check.number(lambda value: 1 <= value < math.inf, "a finite number >= 1")

WaitStrategy = Callable[[RetryCallState], float]


class RetryWait(wait_base):
    """A tenacity wait strategy held as a setting: equal to another of the same shape.

    tenacity's strategies compare by identity, so two ``RetryPolicy`` objects
    built alike from ``wait_random_exponential(max=2)`` would differ, and
    clients configured alike would not share their channel (``ChannelRegistry``
    keys on the settings). The shape is the strategy's class and attributes,
    those that are strategies compared the same way (``wait_combine``,
    ``wait_chain``); a plain function is itself. Called, it is the strategy;
    ``strategy`` is the object given.
    """

    def __init__(self, strategy: WaitStrategy) -> None:
        self.strategy = strategy
        self._shape = _shape(strategy)

    def __call__(self, retry_state: RetryCallState) -> float:
        return self.strategy(retry_state)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RetryWait) and self._shape == other._shape

    def __hash__(self) -> int:
        return hash(self._shape)

    def __repr__(self) -> str:
        return _described(self.strategy)

    @staticmethod
    def parse(value: object, name: str) -> "RetryWait | None":
        """``None`` (the fields' exponential backoff) or a strategy; the error names ``name``."""
        if value is None or isinstance(value, RetryWait):
            return value
        if isinstance(value, wait_base) or (callable(value) and not isinstance(value, type)):
            return RetryWait(value)
        raise InvalidGrpcClientSettings(
            f"{name} must be a tenacity wait strategy (such as wait_exponential_jitter(...), "
            f"wait_random_exponential(...), or a callable of a RetryCallState), "
            f"got {type(value).__name__}"
        )


def _shape(value: object) -> object:
    """What makes ``value`` the strategy it is, hashable: class and attributes, recursively."""
    if isinstance(value, RetryWait):
        return value._shape
    if isinstance(value, list | tuple):
        return tuple(_shape(item) for item in value)
    attributes = getattr(value, "__dict__", None) if isinstance(value, wait_base) else None
    if attributes is not None:
        return (type(value), tuple((key, _shape(item)) for key, item in sorted(attributes.items())))
    try:
        hash(value)
    except TypeError:
        return id(value)  # kept alive by the strategy holding it
    return value


def _described(value: object) -> str:
    """A strategy as it was built: ``wait_random_exponential(max=2, ...)``, not an address."""
    if isinstance(value, RetryWait):
        return _described(value.strategy)
    if isinstance(value, list | tuple):
        return f"[{', '.join(_described(item) for item in value)}]"
    attributes = getattr(value, "__dict__", None) if isinstance(value, wait_base) else None
    if attributes is None:
        return getattr(value, "__qualname__", None) or repr(value)
    shown = ", ".join(f"{key}={_described(item)}" for key, item in attributes.items())
    return f"{type(value).__name__}({shown})"


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
    could be made, no address resolved, call credentials failed). Backoff is
    tenacity's: ``wait``, any tenacity wait strategy (``wait_random_exponential(
    multiplier=0.1, max=2)``, ``wait_fixed(0.2) + wait_random(0, 0.1)``...),
    asked for each wait with the call's ``RetryCallState`` (see ``RetryBackoff``);
    without one, ``wait_exponential_jitter`` from the four backoff fields:
    ``initial_backoff * multiplier ** (n - 1)`` plus up to ``jitter`` seconds,
    capped at ``max_backoff`` (fields ignored when ``wait`` is given). A wait
    that would end past the call's deadline is not slept: the call ends. All
    attempts share the request's timeout; ``attempt_timeout`` optionally caps
    each one, which is what gives a DEADLINE_EXCEEDED retry time to succeed
    (not a server-streaming or bidi attempt, which lasts its whole stream).

    Each field declares its check and its environment variable (``RETRY_`` and
    the field, upper-cased; ``wait`` has none, being code); a value no check
    takes, ``True`` for a number included, raises ``InvalidGrpcClientSettings``
    naming the field.
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
    wait: WaitStrategy | None = field(default=None, metadata=Setting.meta(RetryWait.parse))

    @classmethod
    def disabled(cls) -> "RetryPolicy":
        return cls(max_attempts=1)

    def __post_init__(self) -> None:
        DeclaredSettings.normalize(self)

    def strategy(self) -> WaitStrategy:
        """The tenacity wait strategy: ``wait``, or the exponential backoff the fields describe."""
        if self.wait is not None:
            return self.wait
        return wait_exponential_jitter(
            multiplier=self.initial_backoff,
            max=self.max_backoff,
            exp_base=self.multiplier,
            jitter=self.jitter,
        )

    def retries(self, code: grpc.StatusCode, idempotent: bool, never_sent: bool) -> bool:
        """Whether an attempt that failed with ``code`` is tried again.

        ``never_sent`` says the attempt is proven never to have left the client,
        the only case in which a request that is not idempotent is sent again.
        """
        if self.max_attempts == 1 or code not in self.retryable_codes:
            return False
        return idempotent or never_sent
