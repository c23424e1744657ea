from __future__ import annotations

import time
import zlib
from collections.abc import Iterable, Iterator

import grpc

from protos import storage_pb2, storage_pb2_grpc
from tests.Support.BaseStorageService import SERVED_BY, BaseStorageService
from tests.Support.StorageCallRecord import StorageCallRecord

Context = grpc.ServicerContext


class StorageService(BaseStorageService, storage_pb2_grpc.ObjectStorageServicer):
    """``storage.ObjectStorage`` on sync grpc, for client tests of every call kind.

    DownloadObject streams ``chunks`` chunks of ``chunk_size`` bytes;
    UploadObject sums up the chunks it is sent (size, count, crc32 etag);
    ChecksumChunks answers each chunk as it arrives, so a client can
    ping-pong; StatObject says what DownloadObject would send. Request
    metadata makes any of them fail or slow down (``fail-after``,
    ``fail-code``, ``delay-ms``: see ``BaseStorageService``). Each call is a
    ``StorageCallRecord`` in ``records``: ``wait_for_ended`` and
    ``wait_for_cancelled`` wait for calls to end there, ``started`` counts
    the attempts of a retried call. A call grpc ends before the servicer has
    (``context.add_callback``) was cancelled. ``AsyncStorageService`` is the
    same on grpc.aio.
    """

    def StatObject(
        self, request: storage_pb2.DownloadRequest, context: Context
    ) -> storage_pb2.UploadResult:
        record = self._open("StatObject", context, received=1)
        return self._reply(record, context, self._stat(request))

    def UploadObject(
        self, request_iterator: Iterable[storage_pb2.ObjectChunk], context: Context
    ) -> storage_pb2.UploadResult:
        record = self._open("UploadObject", context)
        key, size, crc = "", 0, 0
        for chunk in request_iterator:
            key, size = key or chunk.object_key, size + len(chunk.data)
            crc = zlib.crc32(chunk.data, crc)
            record.received += 1
            self._check(record, context)
        self._settle(record)
        return self._reply(record, context, self._uploaded(record, key, size, crc))

    def DownloadObject(
        self, request: storage_pb2.DownloadRequest, context: Context
    ) -> Iterator[storage_pb2.ObjectChunk]:
        record = self._open("DownloadObject", context, received=1)
        data = b"x" * request.chunk_size
        for index in range(request.chunks):
            self._pause(record)
            record.sent += 1
            yield self._chunk(request, index, data)
            self._check(record, context)
        self._close(record, context)

    def ChecksumChunks(
        self, request_iterator: Iterable[storage_pb2.ObjectChunk], context: Context
    ) -> Iterator[storage_pb2.ChunkChecksum]:
        record = self._open("ChecksumChunks", context)
        for chunk in request_iterator:
            record.received += 1
            self._pause(record)
            record.sent += 1
            yield self._checksum(chunk)
            self._check(record, context)
        self._settle(record)
        self._close(record, context)

    def _open(self, method: str, context: Context, received: int = 0) -> StorageCallRecord:
        record = self._record(method, context.invocation_metadata())
        record.received = received
        if not context.add_callback(lambda: self._finish(record, "cancelled")):
            self._finish(record, "cancelled")  # grpc ended it before the servicer began
        context.send_initial_metadata(SERVED_BY)
        self._check(record, context)
        return record

    def _check(self, record: StorageCallRecord, context: Context) -> None:
        fault = self._fault(record)
        if fault is not None:
            context.set_trailing_metadata(self._trailing(record))
            self._finish(record, "aborted")
            context.abort(*fault)

    def _settle(self, record: StorageCallRecord) -> None:
        """Wait ``settle-ms`` for a cancellation after the request stream ended, no longer."""
        with self._changed:
            self._changed.wait_for(lambda: record.ended is not None, self._settle_seconds(record))

    def _pause(self, record: StorageCallRecord) -> None:
        delay = self._delay_seconds(record)
        if delay:
            time.sleep(delay)

    def _reply(
        self, record: StorageCallRecord, context: Context, reply: storage_pb2.UploadResult
    ) -> storage_pb2.UploadResult:
        self._pause(record)
        record.sent = 1
        self._close(record, context)
        return reply

    def _close(self, record: StorageCallRecord, context: Context) -> None:
        context.set_trailing_metadata(self._trailing(record))
        self._finish(record, "ok")
