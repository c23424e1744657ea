from __future__ import annotations

import threading
import zlib
from collections.abc import Iterable, Iterator
from typing import Any

import grpc

from protos.storage_pb2 import ChunkChecksum, DownloadRequest, ObjectChunk, UploadResult

# An object stored from the start, so an example can download something without uploading it.
SAMPLE_KEY = "reports/2024-01.csv"
SAMPLE_DATA = b"".join(f"2024-01-{day:02d},{day * 37 % 100:02d}\n".encode() for day in range(1, 32))


class DemoStorageService:
    """``storage.ObjectStorage``: objects kept in memory, moved in ``ObjectChunk``s.

    One method of each call kind. ``UploadObject`` (client streaming) stores
    the chunks' bytes under the first chunk's ``object_key`` and sums them up:
    ``size`` in bytes, ``chunks``, and ``etag``, the crc32 of every byte as 8
    hex digits; INVALID_ARGUMENT for no chunk, no key, or a chunk whose
    ``offset`` is not where the previous one ended. ``DownloadObject`` (server
    streaming) sends an object in chunks of ``chunk_size`` bytes (positive, or
    INVALID_ARGUMENT), ``chunks`` of them (0: all); asked for more than the
    object holds, it sends those it has and then fails OUT_OF_RANGE, a stream
    failing midway. ``ChecksumChunks`` (bidi) answers each chunk as it arrives
    with its offset, size and crc32. ``StatObject`` (unary) is an upload's
    result again. An unknown key is NOT_FOUND. ``SAMPLE_KEY`` is stored from
    the start (``SAMPLE_DATA``: 31 lines of CSV, 14 bytes each, 434 bytes).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._objects: dict[str, tuple[bytes, UploadResult]] = {}
        self._store(SAMPLE_KEY, SAMPLE_DATA, 1)

    def rpc_handler(self) -> grpc.GenericRpcHandler[Any, Any]:
        chunk_in, result_out = ObjectChunk.FromString, UploadResult.SerializeToString
        return grpc.method_handlers_generic_handler(
            "storage.ObjectStorage",
            {
                "UploadObject": grpc.stream_unary_rpc_method_handler(
                    self.upload_object, chunk_in, result_out
                ),
                "DownloadObject": grpc.unary_stream_rpc_method_handler(
                    self.download_object, DownloadRequest.FromString, ObjectChunk.SerializeToString
                ),
                "ChecksumChunks": grpc.stream_stream_rpc_method_handler(
                    self.checksum_chunks, chunk_in, ChunkChecksum.SerializeToString
                ),
                "StatObject": grpc.unary_unary_rpc_method_handler(
                    self.stat_object, DownloadRequest.FromString, result_out
                ),
            },
        )

    def upload_object(
        self, chunks: Iterable[ObjectChunk], context: grpc.ServicerContext
    ) -> UploadResult:
        key, data, count = "", bytearray(), 0
        for chunk in chunks:
            key = key or chunk.object_key
            if chunk.offset != len(data):
                context.abort(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"chunk {count} starts at offset {chunk.offset}, not {len(data)}",
                )
            data += chunk.data
            count += 1
        if not key:
            context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, "an upload needs chunks naming their object_key"
            )
        return self._store(key, bytes(data), count)

    def download_object(
        self, request: DownloadRequest, context: grpc.ServicerContext
    ) -> Iterator[ObjectChunk]:
        data = self._stored(request.object_key, context)[0]
        size = request.chunk_size
        if size <= 0:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "chunk_size must be positive")
        offsets = range(0, len(data), size)
        for offset in offsets[: request.chunks or len(offsets)]:
            yield ObjectChunk(
                object_key=request.object_key, offset=offset, data=data[offset : offset + size]
            )
        if request.chunks > len(offsets):
            context.abort(
                grpc.StatusCode.OUT_OF_RANGE,
                f"{request.object_key} holds {len(offsets)} chunks of {size} bytes, "
                f"not {request.chunks}",
            )

    def checksum_chunks(
        self, chunks: Iterable[ObjectChunk], context: grpc.ServicerContext
    ) -> Iterator[ChunkChecksum]:
        for chunk in chunks:
            yield ChunkChecksum(offset=chunk.offset, size=len(chunk.data), crc32=_crc32(chunk.data))

    def stat_object(self, request: DownloadRequest, context: grpc.ServicerContext) -> UploadResult:
        return self._stored(request.object_key, context)[1]

    def _store(self, key: str, data: bytes, chunks: int) -> UploadResult:
        result = UploadResult(object_key=key, size=len(data), chunks=chunks, etag=_crc32(data))
        with self._lock:
            self._objects[key] = (data, result)
        return result

    def _stored(self, key: str, context: grpc.ServicerContext) -> tuple[bytes, UploadResult]:
        with self._lock:
            stored = self._objects.get(key)
        if stored is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"no object {key!r}")
        return stored


def _crc32(data: bytes) -> str:
    return f"{zlib.crc32(data):08x}"
