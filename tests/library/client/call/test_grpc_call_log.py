import json
import logging
from collections.abc import Iterator

import pytest
import structlog
from structlog.testing import capture_logs

from grpc_request_client import GrpcClient, RequestContext
from tests.conftest import Invoke
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest

SECRETS = {
    "authorization": "Bearer SECRET-jwt-abc",
    "cookie": "session=SECRET-cookie-def",
    "x-api-token": "SECRET-token-ghi",
    "x-refresh-token": "SECRET-refresh-jkl",
    "proxy-authorization": "Basic SECRET-proxy-mno",
}


async def test_a_success_is_one_debug_event_with_what_identifies_the_call(
    client: GrpcClient, server: RunningServer, invoke: Invoke
) -> None:
    with capture_logs() as logs, RequestContext.scope(trace_id="trace-log-0001") as context:
        await invoke(client, ScriptedRequest("1"))

    assert len(logs) == 1
    event = logs[0]
    assert event["event"] == "grpc.call.succeeded"
    assert event["log_level"] == "debug"
    assert event["service"] == "user.UserService"
    assert event["method"] == "GetUser"
    assert event["target"] == client.settings.target
    assert event["code"] == "OK"
    assert event["trace_id"] == "trace-log-0001"
    assert event["correlation_id"] == context.correlation_id
    assert event["request_id"] == ""  # none is sent by default
    assert event["duration_ms"] > 0


async def test_a_failure_is_one_event_with_the_status_details_and_the_ids_sent(
    server: RunningServer, invoke: Invoke
) -> None:
    with (
        GrpcClient(server.target, sent_ids=["trace_id", "correlation_id", "request_id"]) as client,
        capture_logs() as logs,
        RequestContext.scope(),
    ):
        await invoke(client, ScriptedRequest("404", metadata={"x-client-version": "1.0"}))

    (event,) = logs
    assert event["event"] == "grpc.call.failed"
    assert event["log_level"] == "info"  # NOT_FOUND: the server's answer about the request
    assert event["code"] == "NOT_FOUND"
    assert event["details"] == "user 404 not found"
    assert event["metadata"]["x-client-version"] == "1.0"
    received = server.service.received[-1]
    assert event["trace_id"] == received["x-trace-id"]
    assert event["correlation_id"] == received["correlation-id"]
    assert event["request_id"] == received["request-id"]


@pytest.mark.parametrize("user_id", ["1", "404"], ids=["success", "failure"])
async def test_credentials_in_metadata_never_reach_a_log_line(
    client: GrpcClient, invoke: Invoke, user_id: str
) -> None:
    with capture_logs() as logs:
        await invoke(client, ScriptedRequest(user_id, metadata=SECRETS))

    rendered = [
        json.dumps(structlog.processors.JSONRenderer()(None, "", dict(event))) for event in logs
    ] + [structlog.dev.ConsoleRenderer(colors=False)(None, "", dict(event)) for event in logs]
    assert logs
    for line in rendered:
        assert "SECRET" not in line
    if user_id == "404":
        assert logs[0]["metadata"]["authorization"] == "[redacted]"


@pytest.fixture
def info_level() -> Iterator[None]:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    try:
        yield
    finally:
        structlog.reset_defaults()


@pytest.mark.usefixtures("info_level")
async def test_at_info_level_a_success_logs_nothing_and_a_failure_still_does(
    client: GrpcClient, invoke: Invoke
) -> None:
    with capture_logs() as logs:
        await invoke(client, ScriptedRequest("1"))
        await invoke(client, ScriptedRequest("404"))
        await invoke(client, ScriptedRequest("always-INTERNAL"))

    assert [(event["event"], event["code"]) for event in logs] == [
        ("grpc.call.failed", "NOT_FOUND"),
        ("grpc.call.failed", "INTERNAL"),
    ]


@pytest.mark.usefixtures("info_level")
async def test_a_failure_whose_level_is_filtered_out_logs_nothing(
    server: RunningServer, invoke: Invoke
) -> None:
    with (
        GrpcClient(server.target, failure_log_levels={"NOT_FOUND": "debug"}) as client,
        capture_logs() as logs,
    ):
        await invoke(client, ScriptedRequest("404"))

    assert logs == []
