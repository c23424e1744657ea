import threading
from collections.abc import Iterator
from concurrent import futures
from contextlib import contextmanager

import grpc

from protos import user_pb2_grpc
from tests.Support.RecordingUserService import RecordingUserService


class RunningServer:
    """A real grpc server on 127.0.0.1 with a free port, for tests to call over the network.

    With ``credentials`` it serves TLS only, as a production server would.
    ``host`` picks another interface to bind: ``"localhost"`` binds every
    address the name has (127.0.0.1 and ::1 here) on one port, for tests that
    go through a resolver.
    """

    def __init__(self, service: RecordingUserService, target: str, server: grpc.Server) -> None:
        self.service = service
        self.target = target
        self.server = server

    def wait_until_received(self, count: int) -> None:
        """Block until the server has seen ``count`` calls, so a test knows a call is in flight."""
        for _ in range(1000):
            if len(self.service.received) >= count:
                return
            threading.Event().wait(0.01)
        raise AssertionError(f"the server never received {count} calls")

    @staticmethod
    @contextmanager
    def start(
        *handlers: grpc.GenericRpcHandler,
        port: int = 0,
        workers: int = 32,
        credentials: grpc.ServerCredentials | None = None,
        host: str = "127.0.0.1",
    ) -> Iterator["RunningServer"]:
        service = RecordingUserService()
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers), handlers=handlers)
        user_pb2_grpc.add_UserServiceServicer_to_server(service, server)
        address = f"{host}:{port}"
        bound = (
            server.add_insecure_port(address)
            if credentials is None
            else server.add_secure_port(address, credentials)
        )
        server.start()
        try:
            yield RunningServer(service, f"{host}:{bound}", server)
        finally:
            server.stop(None).wait()

    def stop(self, grace: float | None = None) -> None:
        """Stop before the ``with`` block ends, as a backend that dies mid-test does."""
        self.server.stop(grace).wait()
