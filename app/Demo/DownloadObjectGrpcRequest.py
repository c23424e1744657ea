from grpc_request_client import BaseGrpcRequest
from protos.storage_pb2 import DownloadRequest, ObjectChunk


class DownloadObjectGrpcRequest(BaseGrpcRequest[ObjectChunk]):
    """``storage.ObjectStorage/DownloadObject`` (server streaming): an object, chunk by chunk.

    Open it with ``client.stream``: the server sends ``ObjectChunk``s of
    ``chunk_size`` bytes, ``chunks`` of them (0: the whole object). A read,
    so ``idempotent()``: it may be retried until its first chunk arrives.
    """

    def __init__(
        self,
        object_key: str,
        chunk_size: int,
        chunks: int = 0,
        timeout: float | None = None,
    ) -> None:
        self._object_key = object_key
        self._chunk_size = chunk_size
        self._chunks = chunks
        self._timeout = timeout

    def service_name(self) -> str:
        return "storage.ObjectStorage"

    def method_name(self) -> str:
        return "DownloadObject"

    def message(self) -> DownloadRequest:
        return DownloadRequest(
            object_key=self._object_key, chunks=self._chunks, chunk_size=self._chunk_size
        )

    def idempotent(self) -> bool:
        return True

    def timeout(self) -> float | None:
        return self._timeout
