from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class SettledCoroutine:
    """Runs a coroutine that has nothing left to wait for, without an event loop.

    Some grpc.aio coroutines only wait when there is something to wait for: an
    aio channel's ``close()`` with no grace period, or a finished call's
    ``initial_metadata()`` and ``trailing_metadata()``. Driving them by hand lets
    synchronous code use them (``close()`` from anywhere, ``response.metadata()``
    after the loop has ended) and spares the hot path two awaits per call.
    """

    @staticmethod
    def result(coroutine: Coroutine[Any, Any, T]) -> T:
        try:
            coroutine.send(None)
        except StopIteration as finished:
            value: T = finished.value
            return value
        coroutine.close()
        raise RuntimeError(f"{coroutine!r} had to wait, so it cannot run synchronously")
