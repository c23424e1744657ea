import grpc
import pytest

from app.Contexts.Backoffice.Users.Domain.User import User
from app.Contexts.Backoffice.Users.Infrastructure.Grpc.GrpcUserFinder import GrpcUserFinder
from grpc_request_client import (
    GrpcClient,
    RemoteServiceError,
    RemoteServiceFailed,
    RemoteServicePermissionDenied,
    RemoteServiceTimeout,
    RemoteServiceUnauthenticated,
    RemoteServiceUnavailable,
)
from grpc_request_client.testing import FakeGrpcClient


def test_a_known_user_comes_back_as_the_domains_user(users_client: GrpcClient) -> None:
    user = GrpcUserFinder(users_client).find("123")

    assert user == User(
        id="123", name="John Doe", email="john@example.com", created_at="2024-01-15T09:30:00+00:00"
    )


def test_not_found_is_an_answer_not_a_failure(users_client: GrpcClient) -> None:
    assert GrpcUserFinder(users_client).find("999") is None


def test_a_missed_deadline_is_a_remote_timeout(users_client: GrpcClient) -> None:
    with pytest.raises(RemoteServiceTimeout, match="DEADLINE_EXCEEDED"):
        GrpcUserFinder(users_client).find("slow")


def test_a_server_that_is_gone_is_remote_unavailable(unreachable_client: GrpcClient) -> None:
    with pytest.raises(RemoteServiceUnavailable, match="UNAVAILABLE"):
        GrpcUserFinder(unreachable_client).find("123")


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (grpc.StatusCode.UNAUTHENTICATED, RemoteServiceUnauthenticated),
        (grpc.StatusCode.PERMISSION_DENIED, RemoteServicePermissionDenied),
        (grpc.StatusCode.INTERNAL, RemoteServiceFailed),
    ],
    ids=lambda value: getattr(value, "name", ""),
)
def test_codes_the_demo_never_sends_map_through_the_shared_table(
    code: grpc.StatusCode, error: type[RemoteServiceError]
) -> None:
    with FakeGrpcClient() as fake:
        fake.fail("user.UserService", "GetUser", code, "scripted")

        with pytest.raises(error, match="scripted"):
            GrpcUserFinder(fake).find("1")

        assert [call.message.user_id for call in fake.calls] == ["1"]
