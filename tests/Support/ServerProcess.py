from multiprocessing.connection import Connection

from tests.Support.RunningServer import RunningServer
from tests.Support.SpawnedChild import SpawnedChild


def _serve(report: Connection) -> None:
    """The server process: a ``RunningServer`` until the test lets go of the pipe."""
    with RunningServer.start() as server:
        report.send(server.target)
        try:
            report.recv()
        except EOFError:
            return


class ServerProcess:
    """A ``RunningServer`` in a process of its own, for tests that fork the test process.

    A grpc server keeps threads inside grpc-core all the time, and grpc-core
    skips its fork handlers while any thread is inside it (``fork_posix.cc``:
    "Other threads are currently calling into gRPC, skipping fork() handlers"),
    so a child of a process serving grpc starts with its polling engine not
    reset; about one such child in a thousand hung in its first aio call. A
    prefork server's parent does not serve grpc either. The process is made
    with ``spawn``, so it shares nothing with the test process.
    """

    def __init__(self) -> None:
        self._pipe, self._process = SpawnedChild.start(_serve)
        self.target: str = self._pipe.recv()

    def stop(self) -> None:
        self._pipe.close()
        self._process.join(10)
