from abc import ABC, abstractmethod


class Clock(ABC):
    """Time as the resilience machinery sees it: a monotonic now, and ways to wait.

    A port so tests can hand in a clock whose sleeps return at once and whose
    time moves only when told: retry and circuit-breaker tests then take
    microseconds and assert exact timings without flakiness.

    The naming rule for the library's sync/async pairs, here as everywhere:
    ``X`` blocks, ``X_async`` awaits (``call``/``call_async``,
    ``send``/``send_async``); ``aclose`` keeps Python's own name
    (``contextlib.aclosing``); objects of grpc's two APIs are named after its
    modules, ``sync`` and ``aio``.
    """

    @abstractmethod
    def now(self) -> float:
        """Seconds on a monotonic scale; only differences mean anything."""

    @abstractmethod
    def sleep(self, seconds: float) -> None:
        """Block for ``seconds``."""

    @abstractmethod
    async def sleep_async(self, seconds: float) -> None:
        """Await ``seconds`` without blocking the event loop."""
