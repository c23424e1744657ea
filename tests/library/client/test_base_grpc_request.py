from typing import Any

import pytest

from grpc_request_client import BaseGrpcRequest, GrpcClient, GrpcRequest
from grpc_request_client.request import RequestMetadata
from protos.user_pb2 import GetUserRequest
from tests.Support.RunningServer import RunningServer


class AdminRequest(BaseGrpcRequest):
    """The seed's intermediate class: it adds credentials and leaves the call to subclasses."""

    def __init__(self, admin_token: str) -> None:
        self._admin_token = admin_token

    def metadata(self) -> RequestMetadata:
        return {
            **super().metadata(),  # type: ignore[dict-item]
            "authorization": f"Bearer {self._admin_token}",
            "x-admin-action": "true",
        }


class GetUserAsAdmin(AdminRequest):
    def service_name(self) -> str:
        return "user.UserService"

    def method_name(self) -> str:
        return "GetUser"

    def message(self) -> Any:
        return GetUserRequest(user_id="1")

    def timeout(self) -> float:
        return 120.0


def test_an_intermediate_class_that_overrides_only_metadata_stays_abstract() -> None:
    with pytest.raises(TypeError, match="abstract"):
        AdminRequest("t")  # type: ignore[abstract]


def test_defaults_are_empty_metadata_no_timeout_and_no_declared_reply() -> None:
    class Minimal(GrpcRequest):
        def service_name(self) -> str:
            return "user.UserService"

        def method_name(self) -> str:
            return "GetUser"

        def message(self) -> Any:
            return GetUserRequest()

    request = Minimal()

    assert request.metadata() == {}
    assert request.timeout() is None
    assert request.response_class() is None


def test_a_subclass_of_an_intermediate_class_is_sent_with_the_inherited_metadata() -> None:
    with RunningServer.start() as server, GrpcClient(server.target) as client:
        response = client.call(GetUserAsAdmin("admin-token"))

    assert response.is_success()
    assert server.service.received[-1]["authorization"] == "Bearer admin-token"
    assert server.service.received[-1]["x-admin-action"] == "true"


def test_the_repr_names_the_call_and_not_the_credentials() -> None:
    text = repr(GetUserAsAdmin("admin-token"))

    assert text == "<GetUserAsAdmin /user.UserService/GetUser>"
