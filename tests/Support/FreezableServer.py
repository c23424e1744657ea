import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from concurrent import futures
from multiprocessing.connection import Connection

import grpc

from protos import user_pb2
from tests.Support.SpawnedChild import SpawnedChild


def _serve(report: Connection) -> None:
    """The server process: ListUsers sends one user, then holds on; GetUser holds on too.

    GetUser answers user ``ready`` at once, so a test can see its connection up.
    """
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    port = server.add_insecure_port("127.0.0.1:0")
    never = threading.Event()

    def list_users(
        request: user_pb2.ListUsersRequest, context: grpc.ServicerContext
    ) -> Iterator[user_pb2.User]:
        yield user_pb2.User(id="0", name="user 0")
        never.wait()  # set as the process ends

    def get_user(request: user_pb2.GetUserRequest, context: grpc.ServicerContext) -> user_pb2.User:
        if request.user_id != "ready":
            never.wait()
        return user_pb2.User(id=request.user_id)

    handlers = {
        "ListUsers": grpc.unary_stream_rpc_method_handler(
            list_users,
            request_deserializer=user_pb2.ListUsersRequest.FromString,
            response_serializer=user_pb2.User.SerializeToString,
        ),
        "GetUser": grpc.unary_unary_rpc_method_handler(
            get_user,
            request_deserializer=user_pb2.GetUserRequest.FromString,
            response_serializer=user_pb2.User.SerializeToString,
        ),
    }
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler("user.UserService", handlers),)
    )
    server.start()
    report.send(port)
    with contextlib.suppress(EOFError):  # raised when the test lets go of the pipe
        report.recv()
    never.set()
    server.stop(None)


class FreezableServer:
    """A user service in its own process, which a test can freeze (SIGSTOP) mid-stream.

    A frozen process keeps its sockets open but answers nothing, not even an
    HTTP/2 ping: the way a hung host or a silently dropped connection looks to
    a client. Only keepalive pings (or the call's deadline) find it out.
    ``stop()`` thaws the process (SIGCONT) before ending and reaping it.
    """

    def __init__(self) -> None:
        self._pipe, self._process = SpawnedChild.start(_serve)
        self.port: int = self._pipe.recv()

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def freeze(self) -> None:
        os.kill(self._pid(), signal.SIGSTOP)

    def stop(self) -> None:
        os.kill(self._pid(), signal.SIGCONT)
        self._pipe.close()
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(10)

    def _pid(self) -> int:
        pid = self._process.pid
        assert pid is not None
        return pid
