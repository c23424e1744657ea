from abc import ABC, abstractmethod


class Clock(ABC):
    """Time as the resilience machinery sees it: a monotonic now, and ways to wait.

    A port so tests can hand in a clock whose sleeps return at once and whose
    time moves only when told: retry and circuit-breaker tests then take
    microseconds and assert exact timings without flakiness.
    """

    @abstractmethod
    def now(self) -> float:
        """Seconds on a monotonic scale; only differences mean anything."""

    @abstractmethod
    def sleep(self, seconds: float) -> None: ...

    @abstractmethod
    async def asleep(self, seconds: float) -> None: ...
