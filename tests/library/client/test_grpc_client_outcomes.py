"""call() and call_async() decide every outcome alike, and responses keep data, not grpc objects."""

import enum
import gc

import grpc
import pytest
from google.protobuf import descriptor_pb2

from grpc_request_client import GrpcClient, InvalidGrpcMessage
from protos import user_pb2
from tests.conftest import Invoke
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest

# A length-delimited field 1 that promises 255 bytes and ends: no message decodes from it.
UNDECODABLE = b"\x0a\xff"
NOT_UTF8 = b"\x0a\x02\xff\xfe"  # User.id is a string: these bytes are no text


def _raw_replies() -> grpc.GenericRpcHandler:
    def reply(request: bytes, context: grpc.ServicerContext) -> bytes:
        return UNDECODABLE if request == b"" else NOT_UTF8

    handler = grpc.unary_unary_rpc_method_handler(reply)
    return grpc.method_handlers_generic_handler("raw.Replies", {"Get": handler})


@pytest.fixture
def raw_server() -> RunningServer:
    with RunningServer.start(_raw_replies()) as running:
        yield running


@pytest.mark.parametrize(
    "sent",
    [user_pb2.GetUserRequest(), user_pb2.GetUserRequest(user_id="x")],
    ids=["truncated", "not-utf8"],
)
async def test_a_reply_that_does_not_decode_is_internal_on_both_apis(
    raw_server: RunningServer, invoke: Invoke, sent: user_pb2.GetUserRequest
) -> None:
    request = ScriptedRequest(
        service="raw.Replies", method="Get", message=sent, response_class=user_pb2.User
    )
    with GrpcClient(raw_server.target) as client:
        response = await invoke(client, request)

    assert response.status_code() is grpc.StatusCode.INTERNAL
    assert response.message() is None
    assert "is not a valid user.User" in response.details()
    assert response.attempts() == 1


async def test_a_message_protobuf_cannot_serialize_raises_before_sending(
    server: RunningServer, invoke: Invoke
) -> None:
    unfinished = descriptor_pb2.UninterpretedOption(
        name=[descriptor_pb2.UninterpretedOption.NamePart()]
    )
    request = ScriptedRequest(
        service="user.Nowhere", method="Get", message=unfinished, response_class=user_pb2.User
    )
    with (
        GrpcClient(server.target) as client,
        pytest.raises(InvalidGrpcMessage, match="cannot be serialized"),
    ):
        await invoke(client, request)

    assert server.service.received == []


def _grpc_objects_reachable_from(root: object) -> list[str]:
    """The grpc objects (calls, channels, loops bound by grpc) anything in ``root`` refers to."""
    seen: set[int] = set()
    found: list[str] = []
    todo = [root]
    while todo:
        item = todo.pop()
        if id(item) in seen or isinstance(item, type | enum.Enum):
            continue
        seen.add(id(item))
        module = type(item).__module__
        if module.split(".")[0] in {"grpc", "asyncio"}:
            found.append(f"{module}.{type(item).__qualname__}")
        todo.extend(gc.get_referents(item))
    return found


async def test_a_response_holds_data_not_grpcs_call_objects(
    server: RunningServer, invoke: Invoke
) -> None:
    with GrpcClient(server.target) as client:
        success = await invoke(client, ScriptedRequest("meta"))
        failure = await invoke(client, ScriptedRequest("404"))

    assert _grpc_objects_reachable_from(success) == []
    assert _grpc_objects_reachable_from(failure) == []
    assert success.initial_metadata()["x-initial"] == "i1"
    assert success.trailing_metadata().get_all("x-rep") == ("a", "b")
    assert failure.trailing_metadata()["x-error-code"] == "U404"


@pytest.mark.parametrize(
    ("user_id", "timeout", "unknown"),
    [
        ("slow", 0.2, True),  # the server was working on it when the deadline passed
        ("404", None, False),  # the server answered
        ("fail-1-UNAVAILABLE", None, True),  # answered UNAVAILABLE: it had the call
        ("1", None, False),  # a success
    ],
)
async def test_a_failure_says_whether_the_server_may_have_done_the_work(
    server: RunningServer, invoke: Invoke, user_id: str, timeout: float | None, unknown: bool
) -> None:
    with GrpcClient(server.target) as client:
        response = await invoke(client, ScriptedRequest(user_id, timeout=timeout))

    assert response.outcome_unknown() is unknown


async def test_a_call_that_never_left_the_client_has_a_known_outcome(invoke: Invoke) -> None:
    with GrpcClient("127.0.0.1:1") as unreachable:
        response = await invoke(unreachable, ScriptedRequest("1"))

    assert response.status_code() is grpc.StatusCode.UNAVAILABLE
    assert response.attempts() == 3  # never sent, so sent again although not idempotent
    assert not response.outcome_unknown()
