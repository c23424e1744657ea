from concurrent import futures
from multiprocessing.connection import Connection

import grpc

from protos import user_pb2
from tests.Support.SpawnedChild import SpawnedChild


def _serve(report: Connection) -> None:
    """The backend process: answer GetUser with a name that says which backend answered."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    port = server.add_insecure_port("127.0.0.1:0")

    def get_user(request: user_pb2.GetUserRequest, context: grpc.ServicerContext) -> user_pb2.User:
        return user_pb2.User(id=request.user_id, name=f"backend-{port}")

    handler = grpc.unary_unary_rpc_method_handler(
        get_user,
        request_deserializer=user_pb2.GetUserRequest.FromString,
        response_serializer=user_pb2.User.SerializeToString,
    )
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler("user.UserService", {"GetUser": handler}),)
    )
    server.start()
    report.send(port)
    report.recv()  # returns, or raises EOFError, when the test is done with this backend
    server.stop(None)


class KillableBackend:
    """A user service in its own process, so a test can kill it the way a crash would.

    Stopping an in-process server cancels its calls politely (CANCELLED); a
    killed process just drops its connections, which callers see as
    UNAVAILABLE. Failover is about the second.
    """

    def __init__(self) -> None:
        self._pipe, self._process = SpawnedChild.start(_serve)
        self.port: int = self._pipe.recv()
        self.name = f"backend-{self.port}"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def kill(self) -> None:
        self._process.kill()
        self._process.join(10)

    def stop(self) -> None:
        if self._process.is_alive():
            self._pipe.send("stop")
            self._process.join(10)
        self._pipe.close()
