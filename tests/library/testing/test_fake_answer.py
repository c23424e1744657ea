"""Answers a FakeGrpcClient refuses to give, because no real call ever returns them."""

from collections.abc import Callable

import grpc
import pytest

from grpc_request_client import GrpcResponse
from grpc_request_client.testing import FakeGrpcClient, InvalidFakeAnswer, RecordedCall
from protos import catalog_pb2, user_pb2
from tests.conftest import Invoke
from tests.Support.ScriptedRequest import ScriptedRequest

USERS = "user.UserService"
NOT_FOUND = grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize(
    ("script", "says"),
    [
        pytest.param(
            lambda fake: fake.reply(USERS, "GetUser", {"id": "1"}),
            "reply\\(\\) takes the protobuf message to answer with, got dict",
            id="reply-not-a-message",
        ),
        pytest.param(
            lambda fake: fake.fail(USERS, "GetUser", grpc.StatusCode.OK),
            "fail\\(\\) takes a grpc.StatusCode other than OK, got <StatusCode.OK.*reply\\(\\)",
            id="fail-with-ok",
        ),
        pytest.param(
            lambda fake: fake.fail(USERS, "GetUser", 5),
            "other than OK, got 5",
            id="fail-with-an-int",
        ),
        pytest.param(
            lambda fake: fake.fail(USERS, "GetUser", NOT_FOUND, 404),
            "details must be a str, got int",
            id="details-not-a-str",
        ),
        pytest.param(
            lambda fake: fake.handle(USERS, "GetUser", user_pb2.User()),
            "handle\\(\\) takes a function of the RecordedCall .* got User",
            id="handler-not-callable",
        ),
        pytest.param(
            lambda fake: fake.reply(USERS, "GetUser", user_pb2.User(), trailing_metadata=5),
            "metadata must be a mapping or \\(key, value\\) pairs, got int",
            id="metadata-not-iterable",
        ),
        pytest.param(
            lambda fake: fake.reply(USERS, "GetUser", user_pb2.User(), initial_metadata=["x-a"]),
            "metadata must be a mapping or \\(key, value\\) pairs, got list",
            id="metadata-not-pairs",
        ),
        pytest.param(
            lambda fake: fake.fail(USERS, "GetUser", NOT_FOUND, trailing_metadata={"x-n": 3}),
            "keys must be str and values str or bytes, got key 'x-n'",
            id="metadata-int-value",
        ),
        pytest.param(
            lambda fake: fake.fail(USERS, "GetUser", NOT_FOUND, initial_metadata={b"x-k": "v"}),
            "got key b'x-k'",
            id="metadata-bytes-key",
        ),
    ],
)
def test_an_answer_no_server_could_give_is_refused_as_it_is_scripted(
    fake_grpc_client: FakeGrpcClient, script: Callable[[FakeGrpcClient], None], says: str
) -> None:
    with pytest.raises(InvalidFakeAnswer, match=says):
        script(fake_grpc_client)


def test_a_refused_metadata_value_is_never_repeated(fake_grpc_client: FakeGrpcClient) -> None:
    with pytest.raises(InvalidFakeAnswer) as raised:
        fake_grpc_client.fail(
            USERS, "GetUser", NOT_FOUND, trailing_metadata=[("authorization", 1234567)]
        )

    assert "1234567" not in str(raised.value)


@pytest.mark.parametrize(
    ("handler", "says"),
    [
        pytest.param(
            lambda call: {"id": "1"},
            "/user.UserService/GetUser: a handler must return a protobuf message or a "
            "GrpcResponse, got dict",
            id="dict",
        ),
        pytest.param(lambda call: None, "got NoneType", id="none"),
        pytest.param(
            lambda call: catalog_pb2.Product(),
            "/user.UserService/GetUser returns user.User; the answer is Product",
            id="wrong-message-class",
        ),
        pytest.param(
            lambda call: GrpcResponse(grpc.StatusCode.OK, catalog_pb2.Product()),
            "returns user.User; the answer is Product",
            id="response-with-wrong-message-class",
        ),
        pytest.param(
            lambda call: GrpcResponse(grpc.StatusCode.OK),
            "a successful answer needs a reply message",
            id="success-without-message",
        ),
        pytest.param(
            lambda call: GrpcResponse(NOT_FOUND, user_pb2.User()),
            "a failed answer carries no message",
            id="failure-with-message",
        ),
    ],
)
async def test_a_handler_result_no_server_could_give_raises_at_the_call(
    fake_grpc_client: FakeGrpcClient,
    invoke: Invoke,
    handler: Callable[[RecordedCall], object],
    says: str,
) -> None:
    fake_grpc_client.handle(USERS, "GetUser", handler)  # type: ignore[arg-type]

    with pytest.raises(InvalidFakeAnswer, match=says):
        await invoke(fake_grpc_client, ScriptedRequest("1"))


async def test_an_async_handler_is_refused_and_its_coroutine_closed(
    fake_grpc_client: FakeGrpcClient, invoke: Invoke
) -> None:
    async def handler(call: RecordedCall) -> user_pb2.User:
        return user_pb2.User()

    fake_grpc_client.handle(USERS, "GetUser", handler)  # type: ignore[arg-type]

    with pytest.raises(
        InvalidFakeAnswer, match="answer directly; async handlers are not supported"
    ):
        await invoke(fake_grpc_client, ScriptedRequest("1"))


def _hidden_echo() -> ScriptedRequest:
    """A call to a service no imported module describes: it declares its reply class instead."""
    return ScriptedRequest(
        "5", service="hidden.EchoService", method="Echo", response_class=user_pb2.User
    )


async def test_a_reply_for_a_service_outside_the_pool_is_checked_when_called(
    fake_grpc_client: FakeGrpcClient, invoke: Invoke
) -> None:
    fake_grpc_client.reply("hidden.EchoService", "Echo", catalog_pb2.Product())

    with pytest.raises(InvalidFakeAnswer, match=r"/hidden\.EchoService/Echo returns user\.User"):
        await invoke(fake_grpc_client, _hidden_echo())


async def test_a_reply_for_a_service_outside_the_pool_is_given_when_it_fits(
    fake_grpc_client: FakeGrpcClient, invoke: Invoke
) -> None:
    fake_grpc_client.reply("hidden.EchoService", "Echo", user_pb2.User(id="5"))

    response = await invoke(fake_grpc_client, _hidden_echo())

    assert response.message() == user_pb2.User(id="5")
