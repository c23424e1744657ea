from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from grpc_request_client import AsyncGrpcStream, GrpcClient, GrpcRequest, GrpcResponse, GrpcStream
from tests.Support.InThread import InThread

Stream = GrpcStream | AsyncGrpcStream
T = TypeVar("T")


class StreamSide:
    """Drives streams through the blocking API or the asyncio one, from one test body.

    As ``SyncOrAsync`` does for unary calls: a fixture picks the side, and the
    test awaits the same methods either way, so the two APIs cannot drift. The
    blocking side runs on a thread of its own, as sync code does, and never on
    the test's event loop, which it would block (``EventLoopBlockedWarning``):
    every blocking step of a test runs on that one thread, in order (see
    ``InThread``), since a ``GrpcStream`` is read and written from one thread.
    ``shutdown()`` ends it.
    """

    def __init__(self, side: str) -> None:
        self.side = side
        self._thread: ThreadPoolExecutor | None = None

    async def open(self, client: GrpcClient, request: GrpcRequest) -> Stream:
        if self.side == "sync":
            return await self.blocking(client.stream, request)
        return client.stream_async(request)

    async def blocking(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` on the blocking side's thread, awaited from the test's loop."""
        if self._thread is None:
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="stream-side")
        return await InThread.run(function, *args, executor=self._thread)

    def shutdown(self) -> None:
        """Join the blocking side's thread; a step still running is waited for."""
        if self._thread is not None:
            self._thread.shutdown()

    async def call(self, client: GrpcClient, request: GrpcRequest) -> GrpcResponse:
        if self.side == "sync":
            return await self.blocking(client.call, request)
        return await client.call_async(request)

    async def enter(self, stream: Stream) -> None:
        if isinstance(stream, GrpcStream):
            await self.blocking(stream.__enter__)
        else:
            await stream.__aenter__()

    async def read(self, stream: Stream) -> Any:
        if isinstance(stream, GrpcStream):
            return await self.blocking(stream.read)
        return await stream.read()

    async def read_all(self, stream: Stream) -> list[Any]:
        """Every message, through the loop a caller writes (``for`` or ``async for``)."""
        if isinstance(stream, GrpcStream):
            return await self.blocking(list, stream)
        return [message async for message in stream]

    async def read_into(self, stream: Stream, into: list[Any]) -> None:
        """Read to the end through the caller's loop, keeping each message as it arrives."""
        if isinstance(stream, GrpcStream):
            await self.blocking(_read_into, stream, into)
            return
        async for message in stream:
            into.append(message)  # noqa: PERF401  # kept one by one: the loop may raise

    async def read_some(self, stream: Stream, count: int) -> list[Any]:
        """The first ``count`` messages, leaving the loop early as a ``break`` does."""
        if isinstance(stream, GrpcStream):
            return await self.blocking(_read_some, stream, count)
        taken: list[Any] = []
        messages = aiter(stream)
        async for message in messages:
            taken.append(message)
            if len(taken) == count:
                break
        await messages.aclose()  # type: ignore[attr-defined]  # an async generator's
        return taken

    async def write(self, stream: Stream, message: Any) -> None:
        if isinstance(stream, GrpcStream):
            await self.blocking(stream.write, message)
        else:
            await stream.write(message)

    async def done_writing(self, stream: Stream) -> None:
        if isinstance(stream, GrpcStream):
            await self.blocking(stream.done_writing)
        else:
            await stream.done_writing()

    async def close(self, stream: Stream) -> None:
        if isinstance(stream, GrpcStream):
            await self.blocking(stream.close)
        else:
            await stream.aclose()

    def __repr__(self) -> str:
        return self.side


def _read_into(stream: GrpcStream, into: list[Any]) -> None:
    for message in stream:
        into.append(message)  # noqa: PERF402  # kept one by one: the loop may raise


def _read_some(stream: GrpcStream, count: int) -> list[Any]:
    taken: list[Any] = []
    for message in stream:
        taken.append(message)
        if len(taken) == count:
            break
    return taken
