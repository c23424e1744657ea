from typing import Any

from google.protobuf.message import Message

from grpc_request_client import BaseGrpcRequest
from grpc_request_client.request import RequestMetadata
from protos import user_pb2


class ScriptedRequest(BaseGrpcRequest):
    """A request whose answers are all given at construction: a test states exactly what it sends.

    Defaults to GetUser for ``user_id``; each keyword overrides one method's answer,
    including with values a well-behaved request would never return.
    """

    def __init__(
        self,
        user_id: str = "1",
        *,
        service: Any = "user.UserService",
        method: Any = "GetUser",
        message: Any = None,
        metadata: Any = None,
        timeout: Any = None,
        response_class: Any = None,
        idempotent: Any = False,
        wait_for_ready: Any = None,
        compression: Any = None,
    ) -> None:
        self._service = service
        self._method = method
        self._message = user_pb2.GetUserRequest(user_id=user_id) if message is None else message
        self._metadata = {} if metadata is None else metadata
        self._timeout = timeout
        self._response_class = response_class
        self._idempotent = idempotent
        self._wait_for_ready = wait_for_ready
        self._compression = compression

    def service_name(self) -> str:
        return self._service  # type: ignore[no-any-return]

    def method_name(self) -> str:
        return self._method  # type: ignore[no-any-return]

    def message(self) -> Message:
        return self._message  # type: ignore[no-any-return]

    def metadata(self) -> RequestMetadata:
        return self._metadata  # type: ignore[no-any-return]

    def timeout(self) -> float | None:
        return self._timeout  # type: ignore[no-any-return]

    def response_class(self) -> type[Message] | None:
        return self._response_class  # type: ignore[no-any-return]

    def idempotent(self) -> bool:
        return self._idempotent  # type: ignore[no-any-return]

    def wait_for_ready(self) -> bool | None:
        return self._wait_for_ready  # type: ignore[no-any-return]

    def compression(self) -> Any:
        return self._compression
