from typing import Any

from grpc_request_client import BaseGrpcRequest, RetryPolicy
from grpc_request_client.request import RequestMetadata
from protos import storage_pb2


class DownloadRequest(BaseGrpcRequest):
    """``storage.ObjectStorage/DownloadObject``, server streaming: ``chunks`` of ``size`` bytes.

    ``metadata`` carries the test servicers' fault controls (``fail-after``,
    ``fail-code``, ``delay-ms``); ``method`` sends the same message to another
    method (``StatObject``, to misuse ``stream()``).
    """

    def __init__(
        self,
        chunks: int = 3,
        size: int = 8,
        *,
        key: str = "report.csv",
        metadata: dict[str, str] | None = None,
        timeout: float | None = None,
        idempotent: bool = True,
        retry: RetryPolicy | None = None,
        method: str = "DownloadObject",
    ) -> None:
        self._message = storage_pb2.DownloadRequest(object_key=key, chunks=chunks, chunk_size=size)
        self._metadata = metadata or {}
        self._timeout = timeout
        self._idempotent = idempotent
        self._retry = retry
        self._method = method

    def service_name(self) -> str:
        return "storage.ObjectStorage"

    def method_name(self) -> str:
        return self._method

    def message(self) -> Any:
        return self._message

    def metadata(self) -> RequestMetadata:
        return dict(self._metadata)

    def timeout(self) -> float | None:
        return self._timeout

    def idempotent(self) -> bool:
        return self._idempotent

    def retry_policy(self) -> RetryPolicy | None:
        return self._retry
