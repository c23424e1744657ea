import dataclasses

import pytest

from app.Contexts.Shared.Infrastructure.Grpc.Client.Metadata.GrpcMetadata import GrpcMetadata
from app.Contexts.Shared.Infrastructure.Grpc.Testing.RecordedCall import RecordedCall
from protos import user_pb2
from tests.Support.ScriptedRequest import ScriptedRequest


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
