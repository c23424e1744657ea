import asyncio

from google.protobuf.message import Message

from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.AsyncStreamAttempt import (
    AsyncStreamAttempt,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcResponse import GrpcResponse, RawMetadata
from app.Contexts.Shared.Infrastructure.Grpc.Testing.ScriptedStream import ScriptedStream


class ScriptedStreamAsync(AsyncStreamAttempt):
    """A ``ScriptedStream`` for ``stream_async``: the same attempt, awaited on this event loop.

    Each read and write yields to the event loop once, as a real one suspends,
    so another task (a writer beside the reader) runs before the handler does;
    the handler itself runs on the loop, in the reading task. A request's async
    iterable of messages is sent whole before the first read.
    """

    def __init__(self, stream: ScriptedStream) -> None:
        self._stream = stream

    async def receive(self) -> Message | GrpcResponse:
        await asyncio.sleep(0)
        await self._stream.consume_async()
        return self._stream.receive()

    async def write(self, message: Message) -> bool:
        await asyncio.sleep(0)
        return self._stream.write(message)

    async def done_writing(self) -> None:
        self._stream.done_writing()

    def cancel(self) -> None:
        self._stream.cancel()

    async def initial_metadata(self) -> RawMetadata:
        return self._stream.initial_metadata()

    @property
    def sent(self) -> int:
        return self._stream.sent
