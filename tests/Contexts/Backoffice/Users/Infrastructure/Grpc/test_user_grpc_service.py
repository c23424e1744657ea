import grpc
import pytest

from app.Contexts.Backoffice.Users.Domain.UserNotFound import UserNotFound
from app.Contexts.Backoffice.Users.Infrastructure.Grpc.UserGrpcService import UserGrpcService
from grpc_request_client import (
    GrpcClient,
    RemoteRequestInvalid,
    RemoteResourceConflict,
    RemoteServiceUnavailable,
)
from grpc_request_client.testing import FakeGrpcClient
from protos.user_pb2 import User


def test_get_user_returns_the_seeds_dict(users_client: GrpcClient) -> None:
    assert UserGrpcService(users_client).get_user("456") == {
        "id": "456",
        "name": "Jane Roe",
        "email": "jane@example.com",
        "created_at": "2024-03-02T17:05:00+00:00",
    }


def test_get_user_raises_user_not_found_for_an_unknown_id(users_client: GrpcClient) -> None:
    with pytest.raises(UserNotFound, match="'999'"):
        UserGrpcService(users_client).get_user("999")


def test_create_user_returns_the_new_id_which_can_then_be_read(users_client: GrpcClient) -> None:
    service = UserGrpcService(users_client)

    user_id = service.create_user({"name": "Grace", "email": "grace@example.com", "age": 45})

    assert service.get_user(user_id)["name"] == "Grace"


def test_create_user_with_data_the_server_refuses_says_what_it_said(
    users_client: GrpcClient,
) -> None:
    with pytest.raises(RemoteRequestInvalid, match="a user needs a name and an email"):
        UserGrpcService(users_client).create_user({"name": "", "email": "nobody"})


def test_create_user_with_a_field_the_request_does_not_take_is_a_type_error(
    users_client: GrpcClient,
) -> None:
    with pytest.raises(TypeError, match="nickname"):
        UserGrpcService(users_client).create_user({"name": "A", "email": "a@b.c", "nickname": "x"})


def test_a_server_that_is_gone_is_remote_unavailable(unreachable_client: GrpcClient) -> None:
    with pytest.raises(RemoteServiceUnavailable):
        UserGrpcService(unreachable_client).get_user("123")


def test_with_the_fake_client_the_seeds_unit_tests_need_no_mock() -> None:
    with FakeGrpcClient() as fake:
        fake.reply("user.UserService", "GetUser", User(id="123", name="John Doe"))
        fake.fail("user.UserService", "CreateUser", grpc.StatusCode.ALREADY_EXISTS, "taken")
        service = UserGrpcService(fake)

        assert service.get_user("123")["name"] == "John Doe"
        with pytest.raises(RemoteResourceConflict, match="taken"):
            service.create_user({"name": "John", "email": "john@example.com"})

        created = fake.calls_to("user.UserService", "CreateUser")
        assert [call.message.email for call in created] == ["john@example.com"]
