"""The server the benchmark measures against, run in a process of its own.

It lives apart from the client so that its CPU never shows up in the client's
``process_time()``. It is a ``grpc.aio`` server, answering all 64 calls in
flight on one event loop rather than handing each to a thread-pool worker, so
that the server's share of the two shared cores stays small in that scenario.
"""

from __future__ import annotations

import asyncio
import signal
from multiprocessing.connection import Connection
from typing import Any

import grpc
import grpc.aio

from protos.user_pb2 import GetUserRequest, User

_HOST = "127.0.0.1"
_USER = User(id="42", name="Ada Lovelace", email="ada@example.com", age=36, created_at="1815")


async def _get_user(
    request: GetUserRequest, context: grpc.aio.ServicerContext[GetUserRequest, User]
) -> User:
    return _USER


def _handler() -> grpc.GenericRpcHandler[Any, Any]:
    """A generic handler, so the server has no servicer class or CamelCase method to carry."""
    return grpc.method_handlers_generic_handler(
        "user.UserService",
        {
            "GetUser": grpc.unary_unary_rpc_method_handler(
                _get_user,
                request_deserializer=GetUserRequest.FromString,
                response_serializer=User.SerializeToString,
            )
        },
    )


async def _until_closed(lifeline: Connection) -> None:
    """Return once the benchmark closes its end of the pipe, or dies and the kernel does.

    The parent never writes to the pipe, so readable means closed; this is
    what keeps a killed run from leaving a server behind to skew the next one.
    """
    closed = asyncio.Event()
    asyncio.get_running_loop().add_reader(lifeline.fileno(), closed.set)
    await closed.wait()


async def _serve(lifeline: Connection) -> None:
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((_handler(),))
    port = server.add_insecure_port(f"{_HOST}:0")
    await server.start()
    lifeline.send(port)
    await _until_closed(lifeline)
    await server.stop(None)


def serve(lifeline: Connection) -> None:
    """Process entry point: answer GetUser on a free port, report the port, serve until told.

    Ctrl-C reaches every process of the terminal; only the parent reacts to it
    (by terminating this one), so the server neither races it nor prints a
    traceback of its own.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    asyncio.run(_serve(lifeline))


def address(port: int) -> str:
    return f"{_HOST}:{port}"
