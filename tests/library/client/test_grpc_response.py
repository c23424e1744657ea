from unittest.mock import Mock

import grpc
import pytest

from grpc_request_client import (
    GrpcClient,
    GrpcResponse,
    InvalidGrpcMetadata,
    InvalidGrpcResponse,
    RemoteResourceNotFound,
    RemoteServiceError,
    RemoteServiceTimeout,
    RemoteServiceUnavailable,
)
from protos import user_pb2
from tests.conftest import Invoke
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest


def test_a_response_cannot_be_changed_after_the_fact() -> None:
    response = GrpcResponse(grpc.StatusCode.OK, user_pb2.User(id="1"))

    with pytest.raises(AttributeError, match="immutable"):
        response._status_code = grpc.StatusCode.INTERNAL  # type: ignore[misc]
    with pytest.raises(AttributeError, match="immutable"):
        del response._message
    assert response.is_success()


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        pytest.param({"status_code": "OK"}, "status_code must be a grpc.StatusCode", id="code"),
        pytest.param({"message": {"id": "1"}}, "message must be a protobuf message", id="message"),
        pytest.param({"details": 404}, "details must be a str, got a int", id="details"),
        pytest.param({"attempts": -1}, "attempts must be an int of at least 0", id="attempts"),
        pytest.param({"attempts": True}, "attempts must be an int", id="attempts-bool"),
    ],
)
def test_a_response_made_by_hand_from_unusable_parts_is_refused_naming_the_part(
    arguments: dict[str, object], says: str
) -> None:
    given: dict[str, object] = {"status_code": grpc.StatusCode.OK, **arguments}

    with pytest.raises(InvalidGrpcResponse, match=says):
        GrpcResponse(**given)  # type: ignore[arg-type]


def test_a_response_made_by_hand_with_metadata_that_is_not_pairs_is_refused() -> None:
    with pytest.raises(InvalidGrpcMetadata, match="metadata must be"):
        GrpcResponse(grpc.StatusCode.OK, None, "", {"x-a": "1"})  # type: ignore[arg-type]
    with pytest.raises(InvalidGrpcMetadata, match="got a int value"):
        GrpcResponse(grpc.StatusCode.OK, trailing_metadata=[("x-a", 1)])  # type: ignore[list-item]


def test_the_repr_names_the_outcome_and_never_shows_secrets_or_the_message_body() -> None:
    response = GrpcResponse(
        grpc.StatusCode.OK,
        user_pb2.User(id="1", email="private@example.com"),
        trailing_metadata=(("set-cookie", "session=abc123"), ("x-request-id", "r-1")),
    )

    text = repr(response)

    assert "OK" in text
    assert "User" in text
    assert "x-request-id" in text
    assert "abc123" not in text
    assert "private@example.com" not in text


def test_a_failed_response_shows_its_details_and_has_no_message() -> None:
    response = GrpcResponse(grpc.StatusCode.UNAVAILABLE, details="connection refused")

    assert "UNAVAILABLE" in repr(response)
    assert "connection refused" in repr(response)
    assert response.message() is None
    assert not response.is_success()


def test_an_rpc_error_that_is_not_a_call_still_becomes_a_response() -> None:
    response = GrpcResponse.from_rpc_error(grpc.RpcError("odd transport failure"))

    assert response.status_code() is grpc.StatusCode.UNKNOWN
    assert response.details() == "odd transport failure"


def test_it_can_be_mocked_with_spec_as_the_seed_tests_do() -> None:
    mock_response = Mock(spec=GrpcResponse)
    mock_response.is_success.return_value = False
    mock_response.status_code.return_value = grpc.StatusCode.NOT_FOUND
    mock_response.details.return_value = "User not found"

    assert mock_response.status_code() is grpc.StatusCode.NOT_FOUND
    with pytest.raises(AttributeError):
        mock_response.no_such_method()


async def test_raise_for_status_hands_back_a_successful_response_for_chaining(
    client: GrpcClient, invoke: Invoke
) -> None:
    response = await invoke(client, ScriptedRequest("42"))

    assert response.raise_for_status() is response
    assert response.raise_for_status().message().id == "42"


async def test_raise_for_status_raises_the_domain_error_with_the_servers_words(
    client: GrpcClient, invoke: Invoke
) -> None:
    response = await invoke(client, ScriptedRequest("404"))

    with pytest.raises(RemoteResourceNotFound) as raised:
        response.raise_for_status()

    assert raised.value.status == "NOT_FOUND"
    assert raised.value.details == "user 404 not found"
    assert str(raised.value) == "NOT_FOUND: user 404 not found"


async def test_raise_for_status_reads_a_missed_deadline_as_a_timeout(
    client: GrpcClient, invoke: Invoke
) -> None:
    response = await invoke(client, ScriptedRequest("slow", timeout=0.2))

    with pytest.raises(RemoteServiceTimeout):
        response.raise_for_status()


async def test_raise_for_status_reads_a_server_that_is_gone_as_unavailable(invoke: Invoke) -> None:
    with RunningServer.start() as server:
        target = server.target
    with GrpcClient(target, default_timeout=2.0) as client:
        response = await invoke(client, ScriptedRequest("1"))

    with pytest.raises(RemoteServiceUnavailable):
        response.raise_for_status()


async def test_reply_is_the_decoded_reply_of_a_successful_call(
    client: GrpcClient, invoke: Invoke
) -> None:
    response = await invoke(client, ScriptedRequest("42"))

    reply = response.reply()

    assert type(reply) is user_pb2.User
    assert (reply.id, reply.name) == ("42", "user 42")
    assert reply is response.message()


@pytest.mark.parametrize(
    ("request_", "error"),
    [
        pytest.param(ScriptedRequest("404"), RemoteResourceNotFound, id="not-found"),
        pytest.param(ScriptedRequest("slow", timeout=0.2), RemoteServiceTimeout, id="deadline"),
        pytest.param(ScriptedRequest("always-UNAVAILABLE"), RemoteServiceUnavailable, id="gone"),
    ],
)
async def test_reply_raises_for_a_failed_call_what_raise_for_status_raises(
    client: GrpcClient, invoke: Invoke, request_: ScriptedRequest, error: type[RemoteServiceError]
) -> None:
    response = await invoke(client, request_)

    with pytest.raises(error) as raised:
        response.reply()
    with pytest.raises(error) as raised_for_status:
        response.raise_for_status()

    assert type(raised.value) is type(raised_for_status.value)
    assert str(raised.value) == str(raised_for_status.value)
    assert raised.value.details == response.details()


def test_reply_of_a_success_that_carries_no_message_is_refused_saying_so() -> None:
    ended = GrpcResponse(grpc.StatusCode.OK).with_stream_counts(3, 3)

    with pytest.raises(InvalidGrpcResponse, match="carries no reply message"):
        ended.reply()


def test_message_counts_are_a_streams_own_and_one_each_way_for_a_unary_call() -> None:
    unary = GrpcResponse(grpc.StatusCode.OK, user_pb2.User(id="1"))
    refused = GrpcResponse(grpc.StatusCode.UNAVAILABLE, attempts=0)
    stream = GrpcResponse(grpc.StatusCode.OK).with_stream_counts(3, 7)
    closed = GrpcResponse(grpc.StatusCode.CANCELLED).with_stream_counts(1, 2, closed_by_caller=True)

    assert (unary.messages_sent(), unary.messages_received()) == (1, 1)
    assert (refused.messages_sent(), refused.messages_received()) == (0, 0)
    assert (stream.messages_sent(), stream.messages_received()) == (3, 7)
    assert (stream.closed_by_caller(), closed.closed_by_caller()) == (False, True)
    assert "sent=1 received=2 closed by caller" in repr(closed)
    assert "sent=" not in repr(unary)
