from collections.abc import Mapping
from typing import Any

import grpc
from injector import inject

from app.Contexts.Backoffice.Users.Domain.UserNotFound import UserNotFound
from app.Contexts.Backoffice.Users.Infrastructure.Grpc.CreateUserGrpcRequest import (
    CreateUserGrpcRequest,
)
from app.Contexts.Backoffice.Users.Infrastructure.Grpc.GetUserGrpcRequest import (
    GetUserGrpcRequest,
)
from app.Contexts.Backoffice.Users.Infrastructure.Grpc.UsersGrpcClient import UsersGrpcClient


class UserGrpcService:
    """A service-layer wrapper: the user service's calls as plain methods and dicts.

    For code that wants the remote service's vocabulary rather than a domain
    port. Failures raise: ``UserNotFound`` for NOT_FOUND, the domain's
    ``RemoteServiceError`` family for the rest.
    It does not close its client: the client is shared, and its owner (the
    registry, at shutdown) closes it.
    """

    @inject
    def __init__(self, grpc_client: UsersGrpcClient) -> None:
        self._client = grpc_client

    def get_user(self, user_id: str) -> dict[str, str]:
        response = self._client.call(GetUserGrpcRequest(user_id))
        if response.status_code() is grpc.StatusCode.NOT_FOUND:
            raise UserNotFound(user_id)
        user = response.reply()
        return {
            "id": user.id,
            "name": user.name,
            "email": user.email,
            "created_at": user.created_at,
        }

    def create_user(self, user_data: Mapping[str, Any]) -> str:
        response = self._client.call(CreateUserGrpcRequest(**user_data))
        return response.reply().id
