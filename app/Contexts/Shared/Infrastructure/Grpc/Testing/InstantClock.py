import asyncio

from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.Clock import Clock


class InstantClock(Clock):
    """Time that passes only while someone sleeps, and sleeps that return at once.

    A ``FakeGrpcClient`` retries by its ``RetryPolicy`` on this clock: its
    answers take no time, so the backoff alone moves time towards the
    deadline, and a retried call ends in microseconds with the attempts a real
    client would have made. An async sleep still yields to the event loop once,
    as a real one does.
    """

    def __init__(self) -> None:
        self._now = 0.0

    def now(self) -> float:
        return self._now

    def sleep(self, seconds: float) -> None:
        self._now += seconds

    async def sleep_async(self, seconds: float) -> None:
        self.sleep(seconds)
        await asyncio.sleep(0)
