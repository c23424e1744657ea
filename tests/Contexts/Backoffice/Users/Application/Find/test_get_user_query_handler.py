import pytest

from app.Contexts.Backoffice.Users.Application.Find.GetUserQuery import GetUserQuery
from app.Contexts.Backoffice.Users.Application.Find.GetUserQueryHandler import (
    GetUserQueryHandler,
)
from app.Contexts.Backoffice.Users.Domain.User import User
from app.Contexts.Backoffice.Users.Domain.UserFinder import UserFinder
from app.Contexts.Backoffice.Users.Domain.UserNotFound import UserNotFound
from grpc_request_client import RemoteServiceUnavailable

ADA = User(id="1", name="Ada", email="ada@example.com", created_at="2024-01-01")


class InMemoryUserFinder(UserFinder):
    """The port implemented over a dict: the handler's tests need no network at all."""

    def __init__(self, *users: User, failure: Exception | None = None) -> None:
        self._users = {user.id: user for user in users}
        self._failure = failure
        self.asked: list[str] = []

    def find(self, user_id: str) -> User | None:
        self.asked.append(user_id)
        if self._failure is not None:
            raise self._failure
        return self._users.get(user_id)


def test_it_returns_the_user_the_port_found() -> None:
    finder = InMemoryUserFinder(ADA)

    assert GetUserQueryHandler(finder).handle(GetUserQuery("1")) == ADA
    assert finder.asked == ["1"]


def test_a_user_the_port_does_not_know_is_the_domains_user_not_found() -> None:
    handler = GetUserQueryHandler(InMemoryUserFinder(ADA))

    with pytest.raises(UserNotFound, match="'2'"):
        handler.handle(GetUserQuery("2"))


def test_a_remote_failure_passes_through_for_the_caller_to_map() -> None:
    down = RemoteServiceUnavailable("UNAVAILABLE", "connection refused")
    handler = GetUserQueryHandler(InMemoryUserFinder(failure=down))

    with pytest.raises(RemoteServiceUnavailable) as raised:
        handler.handle(GetUserQuery("1"))

    assert raised.value is down
