from app.Contexts.Shared.Infrastructure.Grpc.Client.BaseGrpcRequest import BaseGrpcRequest
from protos.user_pb2 import ListUsersRequest


class ListUsersGrpcRequest(BaseGrpcRequest):
    """``user.UserService/ListUsers``, a server-streaming method the client refuses to call."""

    def __init__(self, limit: int = 10) -> None:
        self._limit = limit

    def service_name(self) -> str:
        return "user.UserService"

    def method_name(self) -> str:
        return "ListUsers"

    def message(self) -> ListUsersRequest:
        return ListUsersRequest(limit=self._limit)
