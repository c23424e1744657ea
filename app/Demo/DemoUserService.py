from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import grpc

from app.Demo.DemoMetadata import DemoMetadata
from protos.user_pb2 import CreateUserRequest, GetUserRequest, ListUsersRequest, User

SLOW_USER_ID = "slow"
SLOW_SECONDS = 2.0


class DemoUserService:
    """``user.UserService``: two known users, users created at runtime, and one slow id.

    ``GetUser`` answers NOT_FOUND ("user <id> not found") for an unknown id, and
    for the id ``"slow"`` takes up to ``SLOW_SECONDS``, giving up as soon as the
    call is no longer active, so a client deadline is hit without holding a
    worker thread. It returns the ``x-trace-id`` it received as trailing
    metadata, success or not, so a client can see its trace arrived.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users: dict[str, User] = {
            "123": User(
                id="123",
                name="John Doe",
                email="john@example.com",
                age=34,
                created_at="2024-01-15T09:30:00+00:00",
            ),
            "456": User(
                id="456",
                name="Jane Roe",
                email="jane@example.com",
                age=29,
                created_at="2024-03-02T17:05:00+00:00",
            ),
        }

    def rpc_handler(self) -> grpc.GenericRpcHandler[Any, Any]:
        return grpc.method_handlers_generic_handler(
            "user.UserService",
            {
                "GetUser": grpc.unary_unary_rpc_method_handler(
                    self.get_user, GetUserRequest.FromString, User.SerializeToString
                ),
                "CreateUser": grpc.unary_unary_rpc_method_handler(
                    self.create_user, CreateUserRequest.FromString, User.SerializeToString
                ),
                "ListUsers": grpc.unary_stream_rpc_method_handler(
                    self.list_users, ListUsersRequest.FromString, User.SerializeToString
                ),
            },
        )

    def get_user(self, request: GetUserRequest, context: grpc.ServicerContext) -> User:
        context.set_trailing_metadata((("x-trace-id", DemoMetadata.trace_id(context)),))
        if request.user_id == SLOW_USER_ID:
            self._wait_while_active(context, SLOW_SECONDS)
            return User(id=SLOW_USER_ID, name="Slow Sloth", email="sloth@example.com")
        with self._lock:
            user = self._users.get(request.user_id)
        if user is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"user {request.user_id} not found")
        return user

    def create_user(self, request: CreateUserRequest, context: grpc.ServicerContext) -> User:
        if not request.name or "@" not in request.email:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "a user needs a name and an email")
        user = User(
            id=f"user_{uuid.uuid4().hex[:12]}",
            name=request.name,
            email=request.email,
            age=request.age,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        with self._lock:
            self._users[user.id] = user
        return user

    def list_users(
        self, request: ListUsersRequest, context: grpc.ServicerContext
    ) -> Iterator[User]:
        with self._lock:
            users = list(self._users.values())
        yield from users[: request.limit or len(users)]

    @staticmethod
    def _wait_while_active(context: grpc.ServicerContext, seconds: float) -> None:
        """Sleep up to ``seconds``, waking at once when the call is cancelled or times out."""
        ended = threading.Event()
        if context.is_active() and context.add_callback(ended.set):
            ended.wait(seconds)
