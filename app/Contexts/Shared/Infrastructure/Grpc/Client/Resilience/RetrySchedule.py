from tenacity import RetryCallState, wait_exponential_jitter

from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.Clock import Clock
from app.Contexts.Shared.Infrastructure.Grpc.Client.RetryPolicy import RetryPolicy

# An attempt with less time than this left could only end in DEADLINE_EXCEEDED.
_SHORTEST_USEFUL_ATTEMPT = 0.001


class RetrySchedule:
    """tenacity's stop and wait for one call, agreeing on each backoff and on the deadline.

    tenacity decides whether to stop before it asks how long to wait, so the
    jittered backoff for an attempt is drawn once and remembered: stop can then
    refuse a retry whose backoff would sleep past the request's deadline, and
    wait sleeps exactly that long. Attempt numbers are the real ones: the loop
    replays the first attempt's response to tenacity as attempt 1.
    """

    def __init__(self, policy: RetryPolicy, deadline: float, clock: Clock) -> None:
        self._max_attempts = policy.max_attempts
        self._deadline = deadline
        self._clock = clock
        self._backoff = wait_exponential_jitter(
            multiplier=policy.initial_backoff,
            max=policy.max_backoff,
            exp_base=policy.multiplier,
            jitter=policy.jitter,
        )
        self._planned: dict[int, float] = {}

    def stop(self, state: RetryCallState) -> bool:
        if state.attempt_number >= self._max_attempts:
            return True
        wake_up = self._clock.now() + self.wait(state)
        return wake_up >= self._deadline - _SHORTEST_USEFUL_ATTEMPT

    def wait(self, state: RetryCallState) -> float:
        number = state.attempt_number
        if number not in self._planned:
            self._planned[number] = self._backoff(state)
        return self._planned[number]

    def remaining(self) -> float:
        return self._deadline - self._clock.now()
