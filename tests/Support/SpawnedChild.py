import multiprocessing
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess


class SpawnedChild:
    """A test server's own process: ``target(child_end)`` run in a fresh ``spawn`` process.

    ``spawn`` shares nothing with the test process (no grpc-core state, no threads), so the
    child serves as a separate host would. The parent keeps its end of the pipe, through
    which the child reports (its port, its target) and learns, when the parent closes it,
    that the test is done; the child's end is closed here, so that EOF reaches the child.
    """

    @staticmethod
    def start(target: Callable[[Connection], None]) -> tuple[Connection, SpawnProcess]:
        """The parent's end of the pipe and the started process, a daemon."""
        context = multiprocessing.get_context("spawn")
        pipe, child = context.Pipe()
        process = context.Process(target=target, args=(child,), daemon=True)
        process.start()
        child.close()
        return pipe, process
