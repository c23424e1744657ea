from typing import Any

import pytest

from grpc_request_client import (
    GrpcClient,
    GrpcClientSettings,
    InvalidGrpcClientEnvironment,
    InvalidGrpcClientSettings,
)
from grpc_request_client.registry import GrpcClientEnvironment
from grpc_request_client.testing import FakeGrpcClient
from tests.conftest import Invoke
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest


async def test_the_server_sees_the_user_agent_first_in_its_header(
    server: RunningServer, invoke: Invoke
) -> None:
    with GrpcClient(server.target, user_agent="orders-api/1.4") as client:
        response = await invoke(client, ScriptedRequest("7"))

    assert response.is_success()
    user_agent = server.service.received[-1]["user-agent"]
    assert isinstance(user_agent, str)
    assert user_agent.startswith("orders-api/1.4 ")  # grpc adds its own after it


def test_it_becomes_grpc_s_primary_user_agent_option() -> None:
    settings = GrpcClientSettings.create("localhost:50051", user_agent="svc/2")

    assert ("grpc.primary_user_agent", "svc/2") in settings.channel_options()
    assert "grpc.primary_user_agent" not in dict(GrpcClient("localhost:1").settings.options)


def test_it_is_refused_when_options_give_it_too() -> None:
    with pytest.raises(
        InvalidGrpcClientSettings,
        match=r"grpc\.primary_user_agent is set both as a setting and in options; use user_agent=",
    ):
        GrpcClient("localhost:50051", user_agent="a/1", options={"grpc.primary_user_agent": "b/1"})


@pytest.mark.parametrize("value", ["", "svc/1\n", "svc\x7f", "naïve/1", 5, True, b"svc/1"])
def test_a_user_agent_that_is_not_printable_ascii_is_refused(value: Any) -> None:
    with pytest.raises(InvalidGrpcClientSettings, match="user_agent must be non-empty printable"):
        FakeGrpcClient(user_agent=value)


def test_the_environment_sets_it() -> None:
    environment = GrpcClientEnvironment({"USERS_GRPC_USER_AGENT": "users-client/3"})
    registered = GrpcClientSettings.create("users:50051", user_agent="code/1")

    assert environment.apply("users", registered)[0].user_agent == "users-client/3"
    with pytest.raises(InvalidGrpcClientEnvironment, match=r"^USERS_GRPC_USER_AGENT: user_agent"):
        GrpcClientEnvironment({"USERS_GRPC_USER_AGENT": "tab\there"}).apply("users", registered)
