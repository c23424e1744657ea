from collections.abc import Generator
from typing import Any

import grpc

from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.CallStep import CallStep
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcInvocation import GrpcInvocation
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcResponse import GrpcResponse
from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.Bulkhead import Bulkhead
from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.CircuitBreaker import CircuitBreaker
from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.Clock import Clock
from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.Rejection import Rejection
from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.RetryBackoff import RetryBackoff

# Sent back: whether a slot was taken (SLOT), the attempt's response (SEND), None (SLEEP).
Flow = Generator[CallStep, Any, GrpcResponse]

_OK = grpc.StatusCode.OK
# An attempt with less time than this left could only end in DEADLINE_EXCEEDED.
_SHORTEST_USEFUL_ATTEMPT = 0.001


class CallEngine:
    """Every decision of one call, made once for ``call()`` and ``call_async()`` alike.

    ``run`` is a generator that does no I/O: it yields ``CallStep``s (wait for
    a bulkhead slot, send an attempt, sleep a backoff) and is sent back their
    results; a driver only carries them out, blocking or awaiting (tenacity's
    ``BaseRetrying.iter()`` and its two short drivers are the model). The
    order: bulkhead, then the circuit breaker (asked once per call, told the
    call's one outcome), then attempts and backoffs, all within the deadline
    fixed when the call was entered (``GrpcInvocation.deadline``).

    Whatever a call takes it gives back on every path: a driver closes the
    generator whatever happens (an error, a cancelled task, ``close()`` mid-call),
    and the ``finally`` blocks here return the bulkhead slot and settle the
    breaker's permit (with no outcome when the call did not finish).
    """

    def __init__(
        self,
        target: str,
        bulkhead: Bulkhead,
        breaker: CircuitBreaker | None,
        per_method: bool,
        clock: Clock,
    ) -> None:
        self._target = target
        self._bulkhead = bulkhead
        self._breaker = breaker
        self._per_method = per_method
        self._clock = clock

    def run(self, invocation: GrpcInvocation) -> Flow:
        """Bulkhead, breaker, first attempt, then ``_retried`` only if that one failed.

        One generator on the path of a call that succeeds at once: each
        ``yield from`` layer would cost every step of every call a frame.
        """
        bulkhead, breaker = self._bulkhead, self._breaker
        if not bulkhead.try_enter():
            left = invocation.deadline - self._clock.now()
            if not bulkhead.waits or left <= 0 or not (yield CallStep(CallStep.SLOT, left)):
                return Rejection.bulkhead_full(self._target, bulkhead.limit)
        try:
            permit = None
            if breaker is not None:
                key = self._breaker_key(invocation)
                permit = breaker.admit(key)
                if permit is None:
                    return Rejection.circuit_open(key, breaker.retry_in(key))
            outcome: grpc.StatusCode | None = None
            try:
                timeout = self._attempt_timeout(invocation)
                if timeout < _SHORTEST_USEFUL_ATTEMPT:
                    return Rejection.deadline_spent(self._target, invocation.timeout)
                response: GrpcResponse = yield CallStep(CallStep.SEND, timeout)
                if response.status_code() is not _OK:
                    response = yield from self._retried(invocation, response)
                outcome = _counted(response)
                return response
            finally:
                if breaker is not None and permit is not None:
                    breaker.settle(permit, outcome)
        finally:
            bulkhead.leave()

    def _breaker_key(self, invocation: GrpcInvocation) -> str:
        return self._target + invocation.method.path if self._per_method else self._target

    def _retried(self, invocation: GrpcInvocation, response: GrpcResponse) -> Flow:
        """Backoffs and attempts after a failed first one, until one succeeds or it must stop.

        It stops when the policy says so for the failure, when attempts run
        out, or when the next backoff would wake after the deadline. The answer
        is the last attempt's response, counting every attempt, and of unknown
        outcome if any attempt was (an earlier one may have done the work
        although the last one never left the client).
        """
        policy, number, unknown = invocation.retry, 1, False
        while response.status_code() is not _OK:
            unknown = unknown or response.outcome_unknown()
            if number >= policy.max_attempts or not policy.retries(
                response.status_code(), invocation.idempotent, response.never_sent()
            ):
                break
            backoff = RetryBackoff.seconds(policy, number)
            if self._clock.now() + backoff >= invocation.deadline - _SHORTEST_USEFUL_ATTEMPT:
                break
            yield CallStep(CallStep.SLEEP, backoff)
            timeout = self._attempt_timeout(invocation)
            if timeout < _SHORTEST_USEFUL_ATTEMPT:  # the sleep overran what was left
                break
            number += 1
            response = yield CallStep(CallStep.SEND, timeout)
        return _final(response, number, unknown)

    def _attempt_timeout(self, invocation: GrpcInvocation) -> float:
        remaining = invocation.deadline - self._clock.now()
        cap = invocation.retry.attempt_timeout
        return remaining if cap is None else min(cap, remaining)


def _final(response: GrpcResponse, attempts: int, unknown: bool) -> GrpcResponse:
    if attempts != 1:
        response = response.after_attempts(attempts)
    if unknown and not response.is_success() and not response.outcome_unknown():
        response = response.with_outcome_unknown()
    return response


def _counted(response: GrpcResponse) -> grpc.StatusCode | None:
    """The outcome the breaker hears: none for a call that never reached a server."""
    code = response.status_code()
    if code is _OK:
        return code
    return None if response.attempts() == 0 or response.never_sent() else code
