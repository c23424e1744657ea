from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from tests.Support.RunningServer import RunningServer


class RunningBackends:
    """Several real servers behind one ``ipv4:`` target, as replicas of one service are.

    Each backend has its own ``RecordingUserService``, so ``answered()`` tells
    how calls were spread, and ``stop(index)`` takes one down while the others
    keep serving (for failover tests).
    """

    def __init__(self, backends: list[RunningServer]) -> None:
        self.backends = backends

    @staticmethod
    @contextmanager
    def start(count: int = 3) -> Iterator["RunningBackends"]:
        with ExitStack() as stack:
            yield RunningBackends(
                [stack.enter_context(RunningServer.start()) for _ in range(count)]
            )

    @property
    def target(self) -> str:
        """All backends' addresses in one target, for grpc's own resolver and balancer."""
        return "ipv4:" + ",".join(backend.target for backend in self.backends)

    def answered(self) -> list[int]:
        """How many calls each backend has received, in the order of ``target``."""
        return [len(backend.service.received) for backend in self.backends]

    def stop(self, index: int, grace: float | None = None) -> None:
        self.backends[index].stop(grace)
