import threading
from collections.abc import Iterator
from contextlib import contextmanager

import grpc
from grpc_health.v1.health import HealthServicer

from grpc_request_client.testing import GrpcTestServer
from grpc_request_client.testing.server import AioHealth
from tests.Support.RecordingUserService import RecordingUserService


class RunningServer:
    """A ``GrpcTestServer`` whose user service is a ``RecordingUserService``, for client tests.

    ``service`` tells what arrived; extra handlers are served beside it. With
    ``credentials`` it serves TLS only, as a production server would. ``host``
    picks another interface to bind: ``"localhost"`` binds every address the
    name has (127.0.0.1 and ::1 here) on one port, for tests that go through a
    resolver. ``health`` is grpc's reference health servicer, whose ``set()``
    changes what a check sees (``health=False`` serves none).
    """

    def __init__(self, service: RecordingUserService, served: GrpcTestServer) -> None:
        self.service = service
        self.served = served
        self.target = served.target

    @property
    def health(self) -> HealthServicer | AioHealth:
        return self.served.health

    @property
    def port(self) -> int:
        return self.served.port

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
        with GrpcTestServer.start(
            *handlers,
            service,
            max_workers=workers,
            credentials=credentials,
            health=health,
            host=host,
            port=port,
        ) as served:
            yield RunningServer(service, served)

    def stop(self, grace: float | None = None) -> None:
        """Stop before the ``with`` block ends, as a backend that dies mid-test does."""
        self.served.stop(grace)
