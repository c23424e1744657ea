class OutcomeWindow:
    """The outcomes of the last ``size`` calls (failed or not) and their failure rate; O(1) a call.

    A ring of bytes with running totals, as resilience4j's
    ``FixedSizeSlidingWindowMetrics``: recording into a full window drops the
    oldest outcome. Not thread-safe; its owner holds the lock.
    """

    __slots__ = ("_count", "_failed", "_failures", "_next")

    def __init__(self, size: int) -> None:
        self._failed = bytearray(size)
        self._next = 0
        self._count = 0
        self._failures = 0

    @property
    def count(self) -> int:
        """How many outcomes the window holds: at most its size."""
        return self._count

    def record(self, failed: bool) -> None:
        if self._count == len(self._failed):
            self._failures -= self._failed[self._next]
        else:
            self._count += 1
        self._failed[self._next] = failed
        self._failures += failed
        self._next = (self._next + 1) % len(self._failed)

    def reaches(self, threshold: float, minimum: int) -> bool:
        """At least ``minimum`` outcomes in, of which ``threshold`` percent or more failed."""
        return self._count >= minimum and self._failures * 100 >= threshold * self._count

    def clear(self) -> None:
        self._next = self._count = self._failures = 0
