import grpc

from app.Contexts.Backoffice.Users.Domain.User import User
from app.Contexts.Backoffice.Users.Domain.UserFinder import UserFinder
from app.Contexts.Backoffice.Users.Infrastructure.Grpc.GetUserGrpcRequest import (
    GetUserGrpcRequest,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClient import GrpcClient


class GrpcUserFinder(UserFinder):
    """``UserFinder`` over the user service's ``GetUser``.

    NOT_FOUND is an answer (``None``); every other failure becomes the domain's
    ``RemoteServiceError`` through ``reply()`` (UNAVAILABLE is
    ``RemoteServiceUnavailable``, DEADLINE_EXCEEDED ``RemoteServiceTimeout``),
    so nothing grpc-shaped crosses the port.
    """

    def __init__(self, client: GrpcClient) -> None:
        self._client = client

    def find(self, user_id: str) -> User | None:
        response = self._client.call(GetUserGrpcRequest(user_id))
        if response.status_code() is grpc.StatusCode.NOT_FOUND:
            return None
        reply = response.reply()
        return User(id=reply.id, name=reply.name, email=reply.email, created_at=reply.created_at)
