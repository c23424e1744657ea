from grpc_request_client import StreamingGrpcRequest
from protos.storage_pb2 import ChunkChecksum


class ChecksumChunksGrpcRequest(StreamingGrpcRequest[ChunkChecksum]):
    """``storage.ObjectStorage/ChecksumChunks`` (bidirectional): a checksum per chunk written.

    ``messages()`` is ``None``, so the caller writes: ``client.stream`` opens
    it, each ``write(ObjectChunk(...))`` is answered by one ``ChunkChecksum``
    (its offset, size and crc32 as 8 hex digits) as soon as the server has
    the chunk, and ``done_writing()`` lets the server end the stream.
    """

    def __init__(self, timeout: float | None = None) -> None:
        self._timeout = timeout

    def service_name(self) -> str:
        return "storage.ObjectStorage"

    def method_name(self) -> str:
        return "ChecksumChunks"

    def messages(self) -> None:
        return None

    def timeout(self) -> float | None:
        return self._timeout
