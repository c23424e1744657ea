from typing import Any

from grpc_request_client import RetryPolicy, StreamingGrpcRequest
from grpc_request_client.request import RequestMessages, RequestMetadata
from protos import storage_pb2


class ChunksRequest(StreamingGrpcRequest):
    """A stream of ``ObjectChunk``s to ``storage.ObjectStorage``: UploadObject or ChecksumChunks.

    ``messages`` is returned as given (a list, a generator, an async
    generator, ``None`` for a bidi stream the test writes to, or anything a
    test wants refused); ``chunks(n)`` makes a list of ``n`` small ones.
    """

    def __init__(
        self,
        messages: Any,
        *,
        method: str = "UploadObject",
        metadata: dict[str, str] | None = None,
        timeout: float | None = None,
        idempotent: bool = True,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._messages = messages
        self._method = method
        self._metadata = metadata or {}
        self._timeout = timeout
        self._idempotent = idempotent
        self._retry = retry

    @staticmethod
    def chunks(count: int, size: int = 4) -> list[storage_pb2.ObjectChunk]:
        return [
            storage_pb2.ObjectChunk(object_key="k", offset=index * size, data=b"z" * size)
            for index in range(count)
        ]

    def service_name(self) -> str:
        return "storage.ObjectStorage"

    def method_name(self) -> str:
        return self._method

    def messages(self) -> RequestMessages:
        return self._messages  # type: ignore[no-any-return]

    def metadata(self) -> RequestMetadata:
        return dict(self._metadata)

    def timeout(self) -> float | None:
        return self._timeout

    def idempotent(self) -> bool:
        return self._idempotent

    def retry_policy(self) -> RetryPolicy | None:
        return self._retry
