import asyncio
import time

from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.Clock import Clock


class SystemClock(Clock):
    """The real clock: ``time.monotonic``, so a wall-clock jump never opens a breaker."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    async def asleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
