import threading

from app.Contexts.Shared.Infrastructure.Grpc.Client.BulkheadPolicy import BulkheadPolicy
from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.Clock import Clock
from app.Contexts.Shared.Infrastructure.Lifecycle.AfterFork import AfterFork

_ASYNC_POLL_SECONDS = 0.005


class Bulkhead:
    """Counts a client's calls in flight, across threads and event loops alike.

    One counter under one lock serves ``call`` and ``call_async``, so the
    limit holds whatever mix of the two a service uses. The lock is taken
    directly on the hot path (a ``Condition``'s own ``with`` is Python code);
    its condition is notified only when a thread is waiting. A blocked thread waits
    on the condition; a task polls with the clock's async sleep instead, because
    an asyncio primitive would tie the bulkhead to a single event loop and a
    thread-backed wait would leave a slot taken if the task were cancelled.

    A forked child starts with every slot free: the calls its parent had in
    flight belong to threads the child does not have, and would otherwise hold
    their slots for good.
    """

    def __init__(self, policy: BulkheadPolicy, clock: Clock) -> None:
        self._limit = policy.max_in_flight
        self._wait = policy.wait
        self._clock = clock
        self._empty()
        AfterFork.register(self, in_child=Bulkhead._empty)

    @property
    def limit(self) -> int:
        return self._limit

    @property
    def in_flight(self) -> int:
        """The calls holding a slot now (streams while open); read without the lock, as a gauge."""
        return self._in_flight

    @property
    def waits(self) -> bool:
        """Whether a call finding no free slot waits for one (within its deadline) or is refused."""
        return self._wait

    def enter(self, within: float) -> bool:
        """Take a slot, waiting up to ``within`` seconds for one; ``False`` if none came."""
        with self._lock:
            if self._in_flight >= self._limit and (
                not self._wait or not self._wait_for_room(within)
            ):
                return False
            self._in_flight += 1
            return True

    def try_enter(self) -> bool:
        """Take a slot if one is free, never waiting: the async path's fast lane."""
        with self._lock:
            if self._in_flight >= self._limit:
                return False
            self._in_flight += 1
            return True

    async def enter_async(self, within: float) -> bool:
        """``enter`` for a task: polls, so a cancelled wait never holds a slot."""
        deadline = self._clock.now() + within
        while not self.try_enter():
            remaining = deadline - self._clock.now()
            if not self._wait or remaining <= 0:
                return False
            await self._clock.sleep_async(min(_ASYNC_POLL_SECONDS, remaining))
        return True

    def leave(self) -> None:
        with self._lock:
            self._in_flight -= 1
            if self._waiting:
                self._free.notify()

    def _wait_for_room(self, within: float) -> bool:
        """Wait, holding the lock as a condition does, until a slot frees or time runs out."""
        self._waiting += 1
        try:
            return self._free.wait_for(self._has_room, within)
        finally:
            self._waiting -= 1

    def _empty(self) -> None:
        """A fresh count and lock: at construction, and in a forked child."""
        self._in_flight = 0
        self._waiting = 0
        self._lock = threading.Lock()
        self._free = threading.Condition(self._lock)

    def _has_room(self) -> bool:
        return self._in_flight < self._limit
