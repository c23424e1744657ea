from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator
from typing import Any

import grpc.aio

from protos import storage_pb2, storage_pb2_grpc
from tests.Support.BaseStorageService import SERVED_BY, BaseStorageService
from tests.Support.StorageCallRecord import StorageCallRecord

Context = grpc.aio.ServicerContext[Any, Any]


class AsyncStorageService(BaseStorageService, storage_pb2_grpc.ObjectStorageServicer):
    """``StorageService`` on grpc.aio: the same answers, faults and records, with ``async def``s.

    ``GrpcTestServer.start(AsyncStorageService())`` serves it on a grpc.aio
    server of its own thread and loop; its records are read from any thread
    (the waits block, as ``StorageService``'s do). A call grpc ends before the
    servicer has (``context.add_done_callback``: the client cancelled, the
    deadline passed, the server stopped and cancelled its task) was cancelled.
    """

    async def StatObject(
        self, request: storage_pb2.DownloadRequest, context: Context
    ) -> storage_pb2.UploadResult:
        record = await self._open("StatObject", context, received=1)
        return await self._reply(record, context, self._stat(request))

    async def UploadObject(
        self, request_iterator: AsyncIterator[storage_pb2.ObjectChunk], context: Context
    ) -> storage_pb2.UploadResult:
        record = await self._open("UploadObject", context)
        key, size, crc = "", 0, 0
        async for chunk in request_iterator:
            key, size = key or chunk.object_key, size + len(chunk.data)
            crc = zlib.crc32(chunk.data, crc)
            record.received += 1
            await self._check(record, context)
        await asyncio.sleep(self._settle_seconds(record))  # a cancellation cancels the wait
        return await self._reply(record, context, self._uploaded(record, key, size, crc))

    async def DownloadObject(
        self, request: storage_pb2.DownloadRequest, context: Context
    ) -> AsyncIterator[storage_pb2.ObjectChunk]:
        record = await self._open("DownloadObject", context, received=1)
        data = b"x" * request.chunk_size
        for index in range(request.chunks):
            await self._pause(record)
            record.sent += 1
            yield self._chunk(request, index, data)
            await self._check(record, context)
        self._close(record, context)

    async def ChecksumChunks(
        self, request_iterator: AsyncIterator[storage_pb2.ObjectChunk], context: Context
    ) -> AsyncIterator[storage_pb2.ChunkChecksum]:
        record = await self._open("ChecksumChunks", context)
        async for chunk in request_iterator:
            record.received += 1
            await self._pause(record)
            record.sent += 1
            yield self._checksum(chunk)
            await self._check(record, context)
        await asyncio.sleep(self._settle_seconds(record))  # a cancellation cancels the wait
        self._close(record, context)

    async def _open(self, method: str, context: Context, received: int = 0) -> StorageCallRecord:
        record = self._record(method, context.invocation_metadata() or ())
        record.received = received

        def ended(_: Context) -> None:
            self._finish(record, "cancelled")

        context.add_done_callback(ended)  # type: ignore[arg-type]  # the stubs' DoneCallback: a class
        await context.send_initial_metadata(SERVED_BY)
        await self._check(record, context)
        return record

    async def _check(self, record: StorageCallRecord, context: Context) -> None:
        fault = self._fault(record)
        if fault is not None:
            context.set_trailing_metadata(self._trailing(record))
            self._finish(record, "aborted")
            await context.abort(*fault)

    async def _pause(self, record: StorageCallRecord) -> None:
        delay = self._delay_seconds(record)
        if delay:
            await asyncio.sleep(delay)

    async def _reply(
        self, record: StorageCallRecord, context: Context, reply: storage_pb2.UploadResult
    ) -> storage_pb2.UploadResult:
        await self._pause(record)
        record.sent = 1
        self._close(record, context)
        return reply

    def _close(self, record: StorageCallRecord, context: Context) -> None:
        context.set_trailing_metadata(self._trailing(record))
        self._finish(record, "ok")
