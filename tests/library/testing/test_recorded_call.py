import dataclasses

import grpc
import pytest
from structlog.testing import capture_logs

from grpc_request_client import GrpcMetadata
from grpc_request_client.testing import FakeGrpcClient, RecordedCall
from protos import user_pb2
from tests.conftest import Invoke
from tests.Support.CredentialMessages import CredentialMessages
from tests.Support.CredentialNames import SENDABLE
from tests.Support.ScriptedRequest import ScriptedRequest

LOGIN_SERVICE = "test.credentials.Auth"


def _call() -> RecordedCall:
    return RecordedCall(
        service="user.UserService",
        method="GetUser",
        message=user_pb2.GetUserRequest(user_id="7"),
        metadata=GrpcMetadata([("authorization", "Bearer sk-live"), ("x-trace-id", "t-1")]),
        timeout=2.5,
        trace_id="t-1",
        attempt=1,
        request=ScriptedRequest("7", metadata={"authorization": "Bearer sk-live"}),
    )


def test_the_repr_fits_on_one_line_and_hides_credentials() -> None:
    assert repr(_call()) == (
        '<RecordedCall /user.UserService/GetUser attempt=1 GetUserRequest(user_id: "7") '
        "metadata=GrpcMetadata([('authorization', '[redacted]'), ('x-trace-id', 't-1')]) "
        "timeout=2.5>"
    )


def test_records_compare_by_value_and_cannot_be_changed() -> None:
    call = _call()

    assert call.path == "/user.UserService/GetUser"
    assert call == dataclasses.replace(call)
    with pytest.raises(dataclasses.FrozenInstanceError):
        call.attempt = 2  # type: ignore[misc]


@pytest.mark.parametrize("name", SENDABLE)
@pytest.mark.parametrize("outcome", ["replies", "fails"])
async def test_a_fake_shows_no_credential_in_its_records_logs_or_answers(
    invoke: Invoke, name: str, outcome: str
) -> None:
    """Neither the metadata's credential nor the message's password, in anything a test prints."""
    messages = CredentialMessages()
    value: str | bytes = f"s3cr3t-{name}"
    value = value.encode() if name.endswith("-bin") else value
    request = ScriptedRequest(
        service=LOGIN_SERVICE,
        method="Login",
        message=messages.login(username="ada", password="s3cr3t-password"),
        metadata={name: value},
        response_class=user_pb2.User,
    )
    fake = FakeGrpcClient()
    if outcome == "replies":
        fake.reply(LOGIN_SERVICE, "Login", user_pb2.User(id="u-1"), initial_metadata={name: value})
    else:
        fake.fail(
            LOGIN_SERVICE,
            "Login",
            grpc.StatusCode.PERMISSION_DENIED,
            trailing_metadata={name: value},
        )

    with capture_logs() as logs, fake:
        response = await invoke(fake, request)
    (call,) = fake.calls
    shown = " ".join(map(repr, (call, fake.calls, fake, request, response, logs)))

    assert call.metadata[name] == value
    assert response.metadata()[name] == value
    assert 'username: "ada" password: [redacted]' in repr(call)
    assert "s3cr3t" not in shown
