import threading
from collections.abc import Iterator
from concurrent import futures
from contextlib import contextmanager

import grpc
from grpc_health.v1 import health_pb2_grpc
from grpc_health.v1.health import HealthServicer

from protos import user_pb2_grpc
from tests.Support.RecordingUserService import RecordingUserService


class RunningServer:
    """A real grpc server on 127.0.0.1 with a free port, for tests to call over the network.

    With ``credentials`` it serves TLS only, as a production server would.
    ``host`` picks another interface to bind: ``"localhost"`` binds every
    address the name has (127.0.0.1 and ::1 here) on one port, for tests that
    go through a resolver.

    It also serves the standard grpc.health.v1 service unless ``health=False``,
    the way a server without it answers; ``health`` is grpc's reference servicer,
    whose ``set()`` changes what a check sees.
    """

    def __init__(
        self,
        service: RecordingUserService,
        target: str,
        server: grpc.Server,
        health: HealthServicer | None,
    ) -> None:
        self.service = service
        self.target = target
        self.server = server
        self._health = health

    @property
    def health(self) -> HealthServicer:
        if self._health is None:
            raise RuntimeError("this server was started with health=False")
        return self._health

    @property
    def port(self) -> int:
        return int(self.target.rsplit(":", 1)[1])

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
        health: bool = True,
    ) -> Iterator["RunningServer"]:
        service = RecordingUserService()
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers), handlers=handlers)
        user_pb2_grpc.add_UserServiceServicer_to_server(service, server)
        health_servicer = HealthServicer() if health else None
        if health_servicer is not None:
            health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
        address = f"{host}:{port}"
        bound = (
            server.add_insecure_port(address)
            if credentials is None
            else server.add_secure_port(address, credentials)
        )
        server.start()
        try:
            yield RunningServer(service, f"{host}:{bound}", server, health_servicer)
        finally:
            server.stop(None).wait()

    def stop(self, grace: float | None = None) -> None:
        """Stop before the ``with`` block ends, as a backend that dies mid-test does."""
        self.server.stop(grace).wait()
