import asyncio

from google.protobuf.message import Message

from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.AsyncStreamAttempt import (
    AsyncStreamAttempt,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.StreamAttempt import StreamAttempt
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcResponse import GrpcResponse, RawMetadata


class ThreadedStreamAttempt(AsyncStreamAttempt):
    """A blocking ``StreamAttempt`` awaited on worker threads, where grpc.aio cannot run.

    That is a child forked while grpc.aio ran (``GrpcAioPoller``), as for
    ``Attempt.send_async``. A task cancelled while it waits cancels the call
    here, since the thread itself cannot be interrupted.
    """

    def __init__(self, attempt: StreamAttempt) -> None:
        self._attempt = attempt

    async def receive(self) -> Message | GrpcResponse:
        try:
            return await asyncio.to_thread(self._attempt.receive)
        except asyncio.CancelledError:
            self._attempt.cancel()
            raise

    async def write(self, message: Message) -> bool:
        return self._attempt.write(message)

    async def done_writing(self) -> None:
        self._attempt.done_writing()

    def cancel(self) -> None:
        self._attempt.cancel()

    async def initial_metadata(self) -> RawMetadata:
        return await asyncio.to_thread(self._attempt.initial_metadata)

    @property
    def sent(self) -> int:
        return self._attempt.sent
