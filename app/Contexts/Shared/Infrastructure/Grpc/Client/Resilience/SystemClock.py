import asyncio
import time

from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.Clock import Clock


class SystemClock(Clock):
    """The real clock: ``time.monotonic``, so a wall-clock jump never opens a breaker.

    ``now`` is ``time.monotonic`` itself rather than a method calling it: every
    call reads the clock at least twice, and this way no Python frame runs for it.
    """

    now = staticmethod(time.monotonic)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    async def sleep_async(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
