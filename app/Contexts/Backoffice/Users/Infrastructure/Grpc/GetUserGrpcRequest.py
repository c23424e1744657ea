from app.Contexts.Shared.Infrastructure.Grpc.Client.BaseGrpcRequest import BaseGrpcRequest
from protos.user_pb2 import GetUserRequest, User


class GetUserGrpcRequest(BaseGrpcRequest[User]):
    """``user.UserService/GetUser`` for a user id, with an optional timeout in seconds.

    The request of docs/getting-started.md, which the other pages' examples import.
    ``timeout=None`` leaves the choice to the client's ``default_timeout``; the
    demo passes a short one to show a deadline being hit. It does not declare
    itself idempotent (docs/resilience.md shows what that changes).
    """

    def __init__(self, user_id: str, timeout: float | None = None) -> None:
        self._user_id = user_id
        self._timeout = timeout

    def service_name(self) -> str:
        return "user.UserService"

    def method_name(self) -> str:
        return "GetUser"

    def message(self) -> GetUserRequest:
        return GetUserRequest(user_id=self._user_id)

    def timeout(self) -> float | None:
        return self._timeout
