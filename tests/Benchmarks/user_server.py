"""The server the benchmark measures against, run in a process of its own.

It lives apart from the client so that its CPU never shows up in the client's
``process_time()``. It is a ``grpc.aio`` server, answering all 64 calls in
flight on one event loop rather than handing each to a thread-pool worker, so
that the server's share of the two shared cores stays small in that scenario.

It serves ``user.UserService/GetUser`` for the unary rows and
``storage.ObjectStorage``'s three streaming methods for the streaming rows. The
streaming handlers neither decode what they take nor encode what they send:
each reply is serialized once, at import, and sent as bytes, so the server
spends as little of the shared cores as it can per message.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from functools import cache
from multiprocessing.connection import Connection
from typing import Any

import grpc
import grpc.aio

from protos.storage_pb2 import ChunkChecksum, DownloadRequest, ObjectChunk, UploadResult
from protos.user_pb2 import GetUserRequest, User

_HOST = "127.0.0.1"
_USER = User(id="42", name="Ada Lovelace", email="ada@example.com", age=36, created_at="1815")
OBJECT_KEY = "bench.bin"
# The streaming replies, already bytes: the handlers below have no serializer.
_UPLOADED = UploadResult(object_key=OBJECT_KEY, size=0, chunks=0, etag="bench").SerializeToString()
_CHECKSUM = ChunkChecksum(offset=0, size=16, crc32="0badcafe").SerializeToString()


async def _get_user(
    request: GetUserRequest, context: grpc.aio.ServicerContext[GetUserRequest, User]
) -> User:
    return _USER


@cache
def _chunk(size: int) -> bytes:
    """One ``ObjectChunk`` of ``size`` bytes, encoded once per size and sent as often as asked."""
    return ObjectChunk(object_key=OBJECT_KEY, offset=0, data=b"x" * size).SerializeToString()


async def _download_object(
    request: DownloadRequest, context: grpc.aio.ServicerContext[DownloadRequest, bytes]
) -> AsyncIterator[bytes]:
    chunk = _chunk(request.chunk_size)
    for _ in range(request.chunks):
        yield chunk


async def _upload_object(
    chunks: AsyncIterator[bytes], context: grpc.aio.ServicerContext[bytes, bytes]
) -> bytes:
    async for _ in chunks:
        pass
    return _UPLOADED


async def _checksum_chunks(
    chunks: AsyncIterator[bytes], context: grpc.aio.ServicerContext[bytes, bytes]
) -> AsyncIterator[bytes]:
    async for _ in chunks:
        yield _CHECKSUM


def _handlers() -> tuple[grpc.GenericRpcHandler[Any, Any], ...]:
    """Generic handlers, so the server has no servicer class or CamelCase method to carry."""
    users = grpc.method_handlers_generic_handler(
        "user.UserService",
        {
            "GetUser": grpc.unary_unary_rpc_method_handler(
                _get_user,
                request_deserializer=GetUserRequest.FromString,
                response_serializer=User.SerializeToString,
            )
        },
    )
    storage = grpc.method_handlers_generic_handler(
        "storage.ObjectStorage",
        {
            "DownloadObject": grpc.unary_stream_rpc_method_handler(
                _download_object, request_deserializer=DownloadRequest.FromString
            ),
            "UploadObject": grpc.stream_unary_rpc_method_handler(_upload_object),
            "ChecksumChunks": grpc.stream_stream_rpc_method_handler(_checksum_chunks),
        },
    )
    return users, storage


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
    server.add_generic_rpc_handlers(_handlers())
    port = server.add_insecure_port(f"{_HOST}:0")
    await server.start()
    lifeline.send(port)
    await _until_closed(lifeline)
    await server.stop(None)


def serve(lifeline: Connection) -> None:
    """Process entry point: serve on a free port, report the port, serve until told.

    Ctrl-C reaches every process of the terminal; only the parent reacts to it
    (by terminating this one), so the server neither races it nor prints a
    traceback of its own.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    asyncio.run(_serve(lifeline))


def address(port: int) -> str:
    return f"{_HOST}:{port}"
