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

    @staticmethod
    @contextmanager
    def start(
        *handlers: grpc.GenericRpcHandler,
        port: int = 0,
        workers: int = 32,
        health: bool = True,
    ) -> Iterator["RunningServer"]:
        service = RecordingUserService()
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers), handlers=handlers)
        user_pb2_grpc.add_UserServiceServicer_to_server(service, server)
        health_servicer = HealthServicer() if health else None
        if health_servicer is not None:
            health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
        bound = server.add_insecure_port(f"127.0.0.1:{port}")
        server.start()
        try:
            yield RunningServer(service, f"127.0.0.1:{bound}", server, health_servicer)
        finally:
            server.stop(None).wait()
