"""The script of a FakeGrpcClient: answers in order per method, and what happens off-script."""

import grpc
import pytest
from google.protobuf.message import Message

from grpc_request_client.testing import FakeGrpcClient, InvalidFakeAnswer
from protos import catalog_pb2, user_pb2
from tests.conftest import Invoke
from tests.Support.ScriptedRequest import ScriptedRequest

USERS = "user.UserService"


async def _outcome(fake: FakeGrpcClient, invoke: Invoke, request: ScriptedRequest) -> str:
    response = await invoke(fake, request)
    return response.message().name if response.is_success() else response.details()


async def test_answers_are_given_in_order_and_the_last_one_stays(
    fake_grpc_client: FakeGrpcClient, invoke: Invoke
) -> None:
    fake_grpc_client.reply(USERS, "GetUser", user_pb2.User(name="first"))
    fake_grpc_client.fail(USERS, "GetUser", grpc.StatusCode.PERMISSION_DENIED, "second")
    fake_grpc_client.handle(USERS, "GetUser", lambda call: user_pb2.User(name="third"))

    outcomes = [await _outcome(fake_grpc_client, invoke, ScriptedRequest("1")) for _ in range(5)]

    assert outcomes == ["first", "second", "third", "third", "third"]


async def test_each_method_has_its_own_answers(
    fake_grpc_client: FakeGrpcClient, invoke: Invoke
) -> None:
    fake_grpc_client.reply(USERS, "GetUser", user_pb2.User(name="got"))
    fake_grpc_client.reply(USERS, "CreateUser", user_pb2.User(name="created"))
    create = ScriptedRequest(method="CreateUser", message=user_pb2.CreateUserRequest())

    outcomes = [
        await _outcome(fake_grpc_client, invoke, request)
        for request in (create, ScriptedRequest("1"), create)
    ]

    assert outcomes == ["created", "got", "created"]


async def test_an_unscripted_method_answers_unimplemented_naming_what_is_scripted(
    fake_grpc_client: FakeGrpcClient, invoke: Invoke
) -> None:
    fake_grpc_client.reply(USERS, "CreateUser", user_pb2.User())
    fake_grpc_client.reply("catalog.ProductService", "GetProduct", catalog_pb2.Product())

    response = await invoke(fake_grpc_client, ScriptedRequest("1"))

    assert response.status_code() is grpc.StatusCode.UNIMPLEMENTED
    assert response.details() == (
        "FakeGrpcClient has no answer for /user.UserService/GetUser; scripted: "
        "/catalog.ProductService/GetProduct, /user.UserService/CreateUser"
    )
    assert response.attempts() == 1  # a server was asked, as far as the caller can tell
    assert len(fake_grpc_client.calls) == 1


async def test_with_nothing_scripted_the_details_say_so(
    fake_grpc_client: FakeGrpcClient, invoke: Invoke
) -> None:
    response = await invoke(fake_grpc_client, ScriptedRequest("1"))

    assert response.details().endswith("scripted: nothing")


@pytest.mark.parametrize(
    ("service", "method", "reply", "says"),
    [
        pytest.param(
            USERS,
            "GetUsr",
            user_pb2.User(),
            "/user.UserService/GetUsr: user.UserService has no method 'GetUsr' "
            "\\(it has: CreateUser, GetUser, ListUsers\\)",
            id="unknown-method",
        ),
        pytest.param(
            USERS,
            "ListUsers",
            user_pb2.User(),
            "/user.UserService/ListUsers streams its replies: script it with reply_stream\\(\\) "
            "or handle_stream\\(\\), not reply\\(\\)",
            id="streaming-method",
        ),
        pytest.param(
            USERS,
            "GetUser",
            catalog_pb2.Product(),
            "/user.UserService/GetUser returns user.User, not catalog.Product",
            id="wrong-reply-class",
        ),
        pytest.param(
            None, "GetUser", user_pb2.User(), "name the service and method with strings", id="none"
        ),
        pytest.param(
            USERS, b"GetUser", user_pb2.User(), "with strings, got .* and b'GetUser'", id="bytes"
        ),
    ],
)
def test_a_reply_no_call_could_ever_get_is_refused_as_it_is_scripted(
    fake_grpc_client: FakeGrpcClient, service: str, method: str, reply: Message, says: str
) -> None:
    with pytest.raises(InvalidFakeAnswer, match=says):
        fake_grpc_client.reply(service, method, reply)


def test_failures_and_handlers_are_checked_against_the_service_too(
    fake_grpc_client: FakeGrpcClient,
) -> None:
    with pytest.raises(InvalidFakeAnswer, match="has no method 'GetUsr'"):
        fake_grpc_client.fail(USERS, "GetUsr", grpc.StatusCode.NOT_FOUND)
    with pytest.raises(InvalidFakeAnswer, match="streams"):
        fake_grpc_client.handle(USERS, "ListUsers", lambda call: user_pb2.User())


async def test_a_refused_script_leaves_the_method_unscripted(
    fake_grpc_client: FakeGrpcClient, invoke: Invoke
) -> None:
    with pytest.raises(InvalidFakeAnswer):
        fake_grpc_client.reply(USERS, "GetUser", catalog_pb2.Product())

    response = await invoke(fake_grpc_client, ScriptedRequest("1"))

    assert response.status_code() is grpc.StatusCode.UNIMPLEMENTED
