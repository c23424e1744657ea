import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import grpc
import grpc.aio

from grpc_request_client import RequestContext, RequestContextData

SYNC = "probe.Sync"
ASYNC = "probe.Async"
_KINDS = {
    "UnaryUnary": "unary_unary",
    "UnaryStream": "unary_stream",
    "StreamUnary": "stream_unary",
    "StreamStream": "stream_stream",
    "UnaryStreamWriter": "unary_stream",
    "Abort": "unary_unary",
}
SYNC_PATHS = tuple(f"/{SYNC}/{name}" for name in list(_KINDS)[:4])
ASYNC_PATHS = tuple(f"/{ASYNC}/{name}" for name in list(_KINDS)[:5])
REQUESTS = (b"first", b"second")
Context = Any  # grpc.ServicerContext on grpc.server, grpc.aio.ServicerContext on grpc.aio.server
Metadata = tuple[tuple[str, str], ...]


class ContextProbe:
    """Handlers of every kind that record the ``RequestContext`` each of their steps ran in.

    ``probe.Sync`` has plain handlers (for ``grpc.server``, or an aio server's
    thread pool); ``probe.Async`` has coroutines and async generators, and a
    coroutine that streams through ``context.write``. Messages are raw bytes, so
    no .proto is needed; a stream yields two replies or reads two requests, and
    ``Abort`` fails with NOT_FOUND.
    """

    def __init__(self) -> None:
        self.seen: list[RequestContextData] = []
        self._lock = threading.Lock()

    def sync_handler(self) -> grpc.GenericRpcHandler:
        return grpc.method_handlers_generic_handler(
            SYNC,
            {
                "UnaryUnary": grpc.unary_unary_rpc_method_handler(self._unary_unary),
                "UnaryStream": grpc.unary_stream_rpc_method_handler(self._unary_stream),
                "StreamUnary": grpc.stream_unary_rpc_method_handler(self._stream_unary),
                "StreamStream": grpc.stream_stream_rpc_method_handler(self._stream_stream),
                "Abort": grpc.unary_unary_rpc_method_handler(self._abort),
            },
        )

    def async_handler(self) -> grpc.GenericRpcHandler:
        return grpc.method_handlers_generic_handler(
            ASYNC,
            {
                "UnaryUnary": grpc.unary_unary_rpc_method_handler(self._async_unary_unary),
                "UnaryStream": grpc.unary_stream_rpc_method_handler(self._async_unary_stream),
                "StreamUnary": grpc.stream_unary_rpc_method_handler(self._async_stream_unary),
                "StreamStream": grpc.stream_stream_rpc_method_handler(self._async_stream_stream),
                "UnaryStreamWriter": grpc.unary_stream_rpc_method_handler(self._async_writer),
                "Abort": grpc.unary_unary_rpc_method_handler(self._async_abort),
            },
        )

    @staticmethod
    async def call(channel: grpc.aio.Channel, path: str, metadata: Metadata = ()) -> list[bytes]:
        """Call ``path`` (``/probe.Sync/UnaryStream``...) as its kind is called; others as unary."""
        kind = _KINDS.get(path.rsplit("/", 1)[1], "unary_unary")
        if kind == "unary_unary":
            return [await channel.unary_unary(path)(b"ping", metadata=metadata)]
        if kind == "unary_stream":
            return [reply async for reply in channel.unary_stream(path)(b"ping", metadata=metadata)]
        if kind == "stream_unary":
            return [await channel.stream_unary(path)(iter(REQUESTS), metadata=metadata)]
        replies = channel.stream_stream(path)(iter(REQUESTS), metadata=metadata)
        return [reply async for reply in replies]

    def _record(self) -> None:
        with self._lock:
            self.seen.append(RequestContext.get_context())

    def _unary_unary(self, request: bytes, context: Context) -> bytes:
        self._record()
        return request

    def _unary_stream(self, request: bytes, context: Context) -> Iterator[bytes]:
        for _ in REQUESTS:
            self._record()
            yield request

    def _stream_unary(self, requests: Iterator[bytes], context: Context) -> bytes:
        for _ in requests:
            self._record()
        return b"done"

    def _stream_stream(self, requests: Iterator[bytes], context: Context) -> Iterator[bytes]:
        for request in requests:
            self._record()
            yield request

    def _abort(self, request: bytes, context: Context) -> bytes:
        self._record()
        context.abort(grpc.StatusCode.NOT_FOUND, "the probe found nothing")
        raise AssertionError("abort() returned")

    async def _async_unary_unary(self, request: bytes, context: Context) -> bytes:
        self._record()
        return request

    async def _async_unary_stream(self, request: bytes, context: Context) -> AsyncIterator[bytes]:
        for _ in REQUESTS:
            self._record()
            yield request

    async def _async_stream_unary(self, requests: AsyncIterator[bytes], context: Context) -> bytes:
        async for _ in requests:
            self._record()
        return b"done"

    async def _async_stream_stream(
        self, requests: AsyncIterator[bytes], context: Context
    ) -> AsyncIterator[bytes]:
        async for request in requests:
            self._record()
            yield request

    async def _async_writer(self, request: bytes, context: Context) -> None:
        for _ in REQUESTS:
            self._record()
            await context.write(request)

    async def _async_abort(self, request: bytes, context: Context) -> bytes:
        self._record()
        await context.abort(grpc.StatusCode.NOT_FOUND, "the probe found nothing")
        raise AssertionError("abort() returned")
