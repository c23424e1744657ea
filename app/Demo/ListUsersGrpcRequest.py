from grpc_request_client import BaseGrpcRequest
from protos.user_pb2 import ListUsersRequest, User


class ListUsersGrpcRequest(BaseGrpcRequest[User]):
    """``user.UserService/ListUsers`` (server streaming): up to ``limit`` users, one per message.

    Open it with ``client.stream`` (or ``stream_async``) and read the ``User``
    messages in a loop; ``client.call`` refuses it with ``UnsupportedGrpcMethod``,
    naming ``client.stream``, before anything is sent (the demo's misuse step).
    """

    def __init__(self, limit: int = 10) -> None:
        self._limit = limit

    def service_name(self) -> str:
        return "user.UserService"

    def method_name(self) -> str:
        return "ListUsers"

    def message(self) -> ListUsersRequest:
        return ListUsersRequest(limit=self._limit)
