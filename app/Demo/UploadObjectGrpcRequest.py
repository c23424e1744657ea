from grpc_request_client import StreamingGrpcRequest
from protos.storage_pb2 import ObjectChunk, UploadResult

DEFAULT_CHUNK_SIZE = 64 * 1024


class UploadObjectGrpcRequest(StreamingGrpcRequest[UploadResult]):
    """``storage.ObjectStorage/UploadObject`` (client streaming): ``data`` in ``ObjectChunk``s.

    ``client.call`` sends the chunks, ``chunk_size`` bytes each (the last one
    shorter; an empty object is one empty chunk), and returns the server's one
    ``UploadResult``. The bytes are in memory already, so ``messages()`` is a
    tuple: it holds the data a second time while the call runs, and it can be
    sent again, so with ``idempotent()`` (storing the same bytes under the same
    key twice leaves one object, as an HTTP PUT does) the client may retry a
    failed upload. Data too large to hold would be a generator reading a file
    chunk by chunk, sent once and never retried (docs/streaming.md).
    Raises ``ValueError`` for a ``chunk_size`` that is not a positive int.
    """

    def __init__(
        self,
        object_key: str,
        data: bytes,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        timeout: float | None = None,
    ) -> None:
        if type(chunk_size) is not int or chunk_size < 1:
            raise ValueError(f"chunk_size must be a positive int of bytes, got {chunk_size!r}")
        self._object_key = object_key
        self._data = data
        self._chunk_size = chunk_size
        self._timeout = timeout

    def service_name(self) -> str:
        return "storage.ObjectStorage"

    def method_name(self) -> str:
        return "UploadObject"

    def messages(self) -> tuple[ObjectChunk, ...]:
        data, size = self._data, self._chunk_size
        return tuple(
            ObjectChunk(
                object_key=self._object_key, offset=offset, data=data[offset : offset + size]
            )
            for offset in range(0, max(len(data), 1), size)
        )

    def idempotent(self) -> bool:
        return True

    def timeout(self) -> float | None:
        return self._timeout
