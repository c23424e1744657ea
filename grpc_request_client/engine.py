"""The call engine: the one place where deadline, bulkhead, breaker, retries and stages are decided.

It yields steps (send, sleep) and never waits itself; the sync and async drivers do the waiting.
"""

from collections.abc import Generator, Sequence
from typing import Any

import grpc

from grpc_request_client.errors import InvalidGrpcResponse
from grpc_request_client.invocation import CallStep, GrpcInvocation
from grpc_request_client.metadata import OutgoingMetadata
from grpc_request_client.resilience import Bulkhead, CircuitBreaker, Clock, Rejection, RetryBackoff
from grpc_request_client.response import GrpcResponse
from grpc_request_client.stages import GrpcCallLog, GrpcCallStage, GrpcClientView


class StreamOpened:
    """The answer to a stream's ``SEND`` step once its first reply message arrived.

    A ``GrpcResponse`` that never leaves the engine, so ``CallEngine`` tells it
    apart by identity on the path a failed attempt takes, which unary calls
    that succeed never walk: they pay nothing for streams.
    """

    ANSWER = GrpcResponse(grpc.StatusCode.UNKNOWN, details="the stream's first reply arrived")


# What a driver does next: (kind, seconds at most, the invocation as the stages left it).
Step = tuple[CallStep, float, GrpcInvocation]
# Sent back: whether a slot was taken (SLOT), the attempt's response (SEND), None (SLEEP).
Flow = Generator[Step, Any, GrpcResponse]
Stage = GrpcCallStage[Any]
# The stages that watch attempts, each with its state for the call.
Watchers = Sequence[tuple[Stage, Any]]

_OK = grpc.StatusCode.OK
_SLOT, _SEND, _SLEEP, _RECEIVE = CallStep.SLOT, CallStep.SEND, CallStep.SLEEP, CallStep.RECEIVE
_OPENED = StreamOpened.ANSWER
# An attempt with less time than this left could only end in DEADLINE_EXCEEDED.
_SHORTEST_USEFUL_ATTEMPT = 0.001


def _overriding(stages: Sequence[Stage], hook: str) -> frozenset[int]:
    """The ``id()`` of each stage whose class overrides ``hook``: only those are called for it.

    By identity, so a stage need not be hashable (a ``@dataclass`` one is not)
    and two equal stages are still two.
    """
    default = getattr(GrpcCallStage, hook)
    return frozenset(id(stage) for stage in stages if getattr(type(stage), hook) is not default)


class CallEngine:
    """Every decision of one call, made once for ``call()`` and ``call_async()`` alike.

    ``run`` is a generator that does no I/O: it yields steps, ``(CallStep,
    seconds, invocation)`` tuples (wait for a bulkhead slot, send an attempt,
    sleep a backoff), and is sent back their results; a driver only carries
    them out, blocking or awaiting (tenacity's ``BaseRetrying.iter()`` and its
    two short drivers are the model). The order: the stages' ``start`` (see
    ``GrpcCallStage``; one may answer the call itself), the bulkhead, the
    circuit breaker (asked once per call, told the call's one outcome), then
    attempts and backoffs, all within the deadline fixed when the call was
    entered (``GrpcInvocation.deadline``), and the stages' ``finished``.
    A stream is one call: it holds its bulkhead slot and breaker permit while
    open, may be retried only until its first reply message arrived (and only
    if what it sends can be sent again), and its final status is the outcome
    the breaker and the stages hear (see ``CallStep``).

    Whatever a call takes it gives back on every path: a driver throws an
    error it met (a cancelled task, ``KeyboardInterrupt``) into the generator
    and closes it whatever happens, and the ``finally`` blocks here return the
    bulkhead slot and settle the breaker's permit (with no outcome when the
    call did not finish) before the stages hear ``abandoned``.
    """

    def __init__(
        self,
        target: str,
        bulkhead: Bulkhead,
        breaker: CircuitBreaker | None,
        per_method: bool,
        clock: Clock,
        *,
        stages: Sequence[Stage] = (),
        credentials: int = 0,
    ) -> None:
        """``stages`` outermost first; ``credentials``: the bytes call credentials add."""
        self._target = target
        self._bulkhead = bulkhead
        self._breaker = breaker
        self._per_method = per_method
        self._clock = clock
        self._stages = tuple(stages)
        self._credentials = credentials
        self._rewriting = _overriding(stages, "metadata")
        self._answering = _overriding(stages, "answer")
        self._watching = _overriding(stages, "attempt_started") | _overriding(
            stages, "attempt_ended"
        )
        self._entering = self._rewriting | self._answering
        self._finishing = _overriding(stages, "finished")
        self._abandoning = _overriding(stages, "abandoned")

    def attach(self, view: GrpcClientView) -> None:
        """Hand ``view`` to the stages that override ``attached``, in order: once per client."""
        attaching = _overriding(self._stages, "attached")
        for stage in self._stages:
            if id(stage) in attaching:
                stage.attached(view)

    def run(self, invocation: GrpcInvocation) -> Flow:
        """The stages around the call: started in order, finished in reverse."""
        stages, states = self._stages, []
        try:
            response = None
            for stage in stages:
                state = stage.start(invocation)
                states.append(state)
                if id(stage) in self._entering:
                    invocation, response = self._entered(stage, state, invocation)
                    if response is not None:
                        break
            if response is None:
                watchers = self._watchers(states) if self._watching else ()
                response = yield from self._sent(invocation, watchers)
            while states:
                stage, state = stages[len(states) - 1], states.pop()
                if id(stage) in self._finishing:
                    response = _response(
                        stage, "finished", stage.finished(state, invocation, response)
                    )
            return response
        except BaseException as error:
            self._abandon(invocation, states, error)
            raise

    def _entered(
        self, stage: Stage, state: Any, invocation: GrpcInvocation
    ) -> tuple[GrpcInvocation, GrpcResponse | None]:
        """The invocation with the stage's metadata, and its answer (``None``: send the call)."""
        if id(stage) in self._rewriting:
            pairs, trace_id, correlation_id, request_id = OutgoingMetadata.rewritten(
                stage.metadata(state, invocation.metadata),
                self._credentials,
                invocation.metadata,
                type(stage),
            )
            invocation = invocation._replace(
                metadata=pairs,
                trace_id=trace_id,
                correlation_id=correlation_id,
                request_id=request_id,
            )
        if id(stage) not in self._answering:
            return invocation, None
        answer = stage.answer(state, invocation)
        return invocation, None if answer is None else _response(stage, "answer", answer)

    def _watchers(self, states: list[Any]) -> Watchers:
        return [
            pair
            for pair in zip(self._stages, states, strict=False)
            if id(pair[0]) in self._watching
        ]

    def _abandon(self, invocation: GrpcInvocation, states: list[Any], error: BaseException) -> None:
        """Tell every stage still started, innermost first, even after one raised.

        A stage whose ``abandoned`` raised does not keep the others from ending
        what they opened (a span, a started count); the first such exception
        then propagates in place of ``error``, which it is chained to.
        """
        failure: BaseException | None = None
        while states:
            stage, state = self._stages[len(states) - 1], states.pop()
            if id(stage) in self._abandoning:
                try:
                    stage.abandoned(state, invocation, error)
                except BaseException as raised:  # re-raised below, after the rest
                    failure = failure or raised
        if failure is not None:
            raise failure from error

    def _sent(self, invocation: GrpcInvocation, watchers: Watchers) -> Flow:
        """Bulkhead, breaker, first attempt, then ``_retried`` only if that one failed."""
        bulkhead, breaker = self._bulkhead, self._breaker
        if not bulkhead.try_enter():
            left = invocation.deadline - self._clock.now()
            if not bulkhead.waits or left <= 0 or not (yield _SLOT, left, invocation):
                return Rejection.bulkhead_full(self._target, bulkhead.limit)
        try:
            permit = None
            if breaker is not None:
                key = self._target + invocation.method.path if self._per_method else self._target
                permit = breaker.admit(key)
                if permit is None:
                    return Rejection.circuit_open(key, breaker.retry_in(key))
            outcome: grpc.StatusCode | None = None
            try:
                timeout = self._attempt_timeout(invocation)
                if timeout < _SHORTEST_USEFUL_ATTEMPT:
                    return Rejection.deadline_spent(self._target, invocation.timeout)
                if watchers:
                    _started(watchers, 1, timeout)
                response: GrpcResponse = yield _SEND, timeout, invocation
                if response.status_code() is _OK:  # the common case, with its outcome known
                    if watchers:
                        _ended(watchers, 1, response, None)
                    outcome = _OK
                    return response
                response = yield from self._retried(invocation, response, watchers)
                outcome = _counted(response)
                return response
            finally:
                if breaker is not None and permit is not None:
                    breaker.settle(permit, outcome)
        finally:
            bulkhead.leave()

    def _retried(
        self, invocation: GrpcInvocation, response: GrpcResponse, watchers: Watchers
    ) -> Flow:
        """Backoffs and attempts after a failed first one, until one succeeds or it must stop.

        The answer is the last attempt's response, counting every attempt, and
        of unknown outcome if any attempt was (an earlier one may have done the
        work although the last one never left the client). A stream whose
        first reply arrived is read to its end and never retried.
        """
        number, unknown = 1, False
        waits = RetryBackoff(invocation.retry, invocation.deadline - invocation.timeout)
        while True:
            backoff = None
            if response is _OPENED:
                response = yield _RECEIVE, 0.0, invocation
            elif response.status_code() is not _OK:
                unknown = unknown or response.outcome_unknown()
                backoff = self._backoff(invocation, response, number, waits)
            _ended(watchers, number, response, backoff)
            if backoff is None:
                break
            GrpcCallLog.attempt_failed(self._target, invocation, number, response, backoff)
            waits.slept(backoff)
            yield _SLEEP, backoff, invocation
            timeout = self._attempt_timeout(invocation)
            if timeout < _SHORTEST_USEFUL_ATTEMPT:  # the sleep overran what was left
                break
            number += 1
            _started(watchers, number, timeout)
            response = yield _SEND, timeout, invocation
        return _final(response, number, unknown)

    def _backoff(
        self, invocation: GrpcInvocation, response: GrpcResponse, number: int, waits: RetryBackoff
    ) -> float | None:
        """Seconds to wait before attempt ``number + 1``; ``None`` when there is to be none.

        None when the policy says so for the failure, when attempts run out,
        or when the wait its tenacity strategy gives (``waits``) would wake
        after the deadline.
        """
        policy = invocation.retry
        if (
            number >= policy.max_attempts
            or not invocation.replayable
            or response.closed_by_caller()
            or not policy.retries(
                response.status_code(), invocation.idempotent, response.never_sent()
            )
        ):
            return None
        now = self._clock.now()
        backoff = waits.after(number, response, now)
        if now + backoff >= invocation.deadline - _SHORTEST_USEFUL_ATTEMPT:
            return None
        return backoff

    def _attempt_timeout(self, invocation: GrpcInvocation) -> float:
        """What is left of the deadline, capped by the policy's ``attempt_timeout``.

        Not for a stream of replies: its one attempt lasts the whole stream, which
        the request's timeout covers, so a cap would cut every long stream short.
        """
        remaining = invocation.deadline - self._clock.now()
        cap = invocation.retry.attempt_timeout
        if cap is None or invocation.method.receives_stream:
            return remaining
        return min(cap, remaining)


def _response(stage: Stage, hook: str, given: object) -> GrpcResponse:
    """What a stage's hook returned, if it is a response; ``InvalidGrpcResponse`` otherwise."""
    if isinstance(given, GrpcResponse):
        return given
    raise InvalidGrpcResponse(
        f"{type(stage).__qualname__}.{hook}() must return a GrpcResponse, "
        f"got a {type(given).__name__}"
    )


def _started(watchers: Watchers, number: int, seconds: float) -> None:
    for stage, state in watchers:
        stage.attempt_started(state, number, seconds)


def _ended(watchers: Watchers, number: int, response: GrpcResponse, backoff: float | None) -> None:
    for stage, state in watchers:
        stage.attempt_ended(state, number, response, backoff)


def _final(response: GrpcResponse, attempts: int, unknown: bool) -> GrpcResponse:
    if attempts != 1:
        response = response.after_attempts(attempts)
    if unknown and not response.is_success() and not response.outcome_unknown():
        response = response.with_outcome_unknown()
    return response


def _counted(response: GrpcResponse) -> grpc.StatusCode | None:
    """The outcome the breaker hears: none for a call that never reached a server.

    Nor for a stream its caller closed early: that says nothing about the server.
    """
    code = response.status_code()
    if code is _OK:
        return code
    if response.attempts() == 0 or response.never_sent() or response.closed_by_caller():
        return None
    return code
