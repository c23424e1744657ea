from app.Contexts.Shared.Infrastructure.Grpc.Client.BaseGrpcRequest import BaseGrpcRequest
from protos.user_pb2 import CreateUserRequest, User


class CreateUserGrpcRequest(BaseGrpcRequest[User]):
    """``user.UserService/CreateUser``, keyword-friendly so ``**user_data`` fits.

    Not idempotent: a retry after a timeout, or after a server that crashed
    before replying, could create the user twice, so the client retries it only
    when grpc shows the request never left the client (``SendEvidence``).
    """

    def __init__(self, name: str, email: str, age: int = 0) -> None:
        self._name = name
        self._email = email
        self._age = age

    def service_name(self) -> str:
        return "user.UserService"

    def method_name(self) -> str:
        return "CreateUser"

    def message(self) -> CreateUserRequest:
        return CreateUserRequest(name=self._name, email=self._email, age=self._age)
