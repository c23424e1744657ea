from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import cast

import grpc
from tenacity import AsyncRetrying, RetryCallState, Retrying, retry_if_result

from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.SendEvidence import SendEvidence
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcResponse import GrpcResponse
from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.Clock import Clock
from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.RetrySchedule import RetrySchedule
from app.Contexts.Shared.Infrastructure.Grpc.Client.RetryPolicy import RetryPolicy

Attempt = Callable[[float], GrpcResponse]
AsyncAttempt = Callable[[float], Awaitable[GrpcResponse]]


def _last_response(state: RetryCallState) -> GrpcResponse:
    """When tenacity stops on a retryable response, that response is the answer."""
    response: GrpcResponse = cast("Future[GrpcResponse]", state.outcome).result()
    return response


class RetryLoop:
    """Retries a call after its first attempt failed retryably, within the call's deadline.

    The first attempt runs outside tenacity, so a call that settles at once
    pays nothing for retrying; tenacity is then handed that first response as
    its own attempt 1 (replayed, not sent again), so its attempt numbers, stop
    and backoff line up with the real attempts. Only responses are retried: an
    exception (a programming error) ends the loop as it is, and so does a call
    the circuit breaker refused. Each attempt is given the time left before the
    deadline, capped by ``attempt_timeout``.
    """

    def __init__(
        self, policy: RetryPolicy, idempotent: bool, deadline: float, clock: Clock
    ) -> None:
        self._policy = policy
        self._idempotent = idempotent
        self._clock = clock
        self._schedule = RetrySchedule(policy, deadline, clock)

    def attempt_timeout(self) -> float:
        remaining = self._schedule.remaining()
        cap = self._policy.attempt_timeout
        return remaining if cap is None else min(cap, remaining)

    def run(self, first: GrpcResponse, attempt: Attempt) -> GrpcResponse:
        """Attempts 2..n; the answer records every attempt that went on the wire."""
        made = 0
        replay: list[GrpcResponse] = [first]

        def counted() -> GrpcResponse:
            nonlocal made
            response = replay.pop() if replay else attempt(self.attempt_timeout())
            made += response.attempts()
            return response

        retrying = Retrying(
            sleep=self._clock.sleep,
            stop=self._schedule.stop,
            wait=self._schedule.wait,
            retry=retry_if_result(self._retryable),
            retry_error_callback=_last_response,
            reraise=True,
        )
        return retrying(counted).after_attempts(made)

    async def run_async(self, first: GrpcResponse, attempt: AsyncAttempt) -> GrpcResponse:
        made = 0
        replay: list[GrpcResponse] = [first]

        async def counted() -> GrpcResponse:
            nonlocal made
            response = replay.pop() if replay else await attempt(self.attempt_timeout())
            made += response.attempts()
            return response

        retrying = AsyncRetrying(
            sleep=self._clock.asleep,
            stop=self._schedule.stop,
            wait=self._schedule.wait,
            retry=retry_if_result(self._retryable),
            retry_error_callback=_last_response,
            reraise=True,
        )
        response: GrpcResponse = await retrying(counted)
        return response.after_attempts(made)

    def _retryable(self, response: GrpcResponse) -> bool:
        return self.worth_retrying(self._policy, self._idempotent, response)

    @staticmethod
    def worth_retrying(policy: RetryPolicy, idempotent: bool, response: GrpcResponse) -> bool:
        """The one rule, for the first attempt and the loop alike.

        A success and a call refused locally (no attempt made: an open circuit,
        a full bulkhead) are not worth repeating; anything else is if the
        policy says so for this request, told whether grpc's failure proves
        the attempt never left the client (``SendEvidence``).
        """
        code = response.status_code()
        if code is grpc.StatusCode.OK or response.attempts() == 0:
            return False
        never_sent = SendEvidence.proves_never_sent(
            code, response.details(), metadata_received=len(response.metadata()) > 0
        )
        return policy.retries(code, idempotent, never_sent)
