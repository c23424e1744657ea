from __future__ import annotations

from typing import Any

from grpc_request_client import AsyncGrpcStream, GrpcClient, GrpcRequest, GrpcResponse, GrpcStream

Stream = GrpcStream | AsyncGrpcStream


class StreamSide:
    """Drives streams through the blocking API or the asyncio one, from one test body.

    As ``SyncOrAsync`` does for unary calls: a fixture picks the side, and the
    test awaits the same methods either way, so the two APIs cannot drift.
    """

    def __init__(self, side: str) -> None:
        self.side = side

    def open(self, client: GrpcClient, request: GrpcRequest) -> Stream:
        if self.side == "sync":
            return client.stream(request)
        return client.stream_async(request)

    async def call(self, client: GrpcClient, request: GrpcRequest) -> GrpcResponse:
        if self.side == "sync":
            return client.call(request)
        return await client.call_async(request)

    async def enter(self, stream: Stream) -> None:
        if isinstance(stream, GrpcStream):
            stream.__enter__()
        else:
            await stream.__aenter__()

    async def read(self, stream: Stream) -> Any:
        if isinstance(stream, GrpcStream):
            return stream.read()
        return await stream.read()

    async def read_all(self, stream: Stream) -> list[Any]:
        """Every message, through the loop a caller writes (``for`` or ``async for``)."""
        if isinstance(stream, GrpcStream):
            return list(stream)
        return [message async for message in stream]

    async def read_into(self, stream: Stream, into: list[Any]) -> None:
        """Read to the end through the caller's loop, keeping each message as it arrives."""
        if isinstance(stream, GrpcStream):
            for message in stream:
                into.append(message)  # noqa: PERF402  # kept one by one: the loop may raise
            return
        async for message in stream:
            into.append(message)  # noqa: PERF401  # as above

    async def read_some(self, stream: Stream, count: int) -> list[Any]:
        """The first ``count`` messages, leaving the loop early as a ``break`` does."""
        taken: list[Any] = []
        if isinstance(stream, GrpcStream):
            for message in stream:
                taken.append(message)
                if len(taken) == count:
                    break
            return taken
        messages = aiter(stream)
        async for message in messages:
            taken.append(message)
            if len(taken) == count:
                break
        await messages.aclose()  # type: ignore[attr-defined]  # an async generator's
        return taken

    async def write(self, stream: Stream, message: Any) -> None:
        if isinstance(stream, GrpcStream):
            stream.write(message)
        else:
            await stream.write(message)

    async def done_writing(self, stream: Stream) -> None:
        if isinstance(stream, GrpcStream):
            stream.done_writing()
        else:
            await stream.done_writing()

    async def close(self, stream: Stream) -> None:
        if isinstance(stream, GrpcStream):
            stream.close()
        else:
            await stream.aclose()

    def __repr__(self) -> str:
        return self.side
