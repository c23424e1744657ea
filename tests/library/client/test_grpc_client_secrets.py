"""No credential sent as metadata reaches a person, whatever key it travels under.

Each name goes through a real call to a server that sends the caller's metadata
back, so the secret is in the request, the log event and the response alike,
and is looked for in every event (structlog at DEBUG, so the success event is
made too) and every repr a person might read.
"""

import json
import logging
from collections.abc import Iterator, MutableMapping
from typing import Any

import pytest
import structlog
from structlog.testing import capture_logs

from grpc_request_client import GrpcClient, GrpcMetadata, GrpcResponse, InvalidGrpcMetadata
from grpc_request_client.metadata import REDACTED
from grpc_request_client.testing import GrpcTestServer
from tests.conftest import Invoke
from tests.Support.CredentialNames import ORDINARY, SENDABLE, SENSITIVE
from tests.Support.EchoingUserService import EchoingUserService
from tests.Support.ScriptedRequest import ScriptedRequest

Logs = list[MutableMapping[str, Any]]
OUTCOMES = pytest.mark.parametrize("user_id", ["1", "404"], ids=["succeeds", "fails"])


@pytest.fixture(scope="module")
def echoing_server() -> Iterator[GrpcTestServer]:
    with GrpcTestServer.start(EchoingUserService()) as server:
        yield server


@pytest.fixture
def debug_logs() -> Iterator[Logs]:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))
    try:
        with capture_logs() as logs:
            yield logs
    finally:
        structlog.reset_defaults()


def _value(name: str) -> str | bytes:
    secret = f"s3cr3t-{name.lower().replace('_', '-')}-4f9a1c"
    return secret.encode() if name.endswith("-bin") else secret


def _shown(logs: Logs, *objects: object) -> str:
    """Everything a person could read: the events rendered, and the objects' reprs."""
    rendered = [json.dumps(event, default=repr) for event in logs]
    rendered += [structlog.dev.ConsoleRenderer(colors=False)(None, "", dict(e)) for e in logs]
    return "\n".join([*rendered, *(repr(o) for o in objects), *(str(o) for o in objects)])


def _response_views(response: GrpcResponse) -> tuple[object, ...]:
    return (
        response,
        response.metadata(),
        response.initial_metadata(),
        response.trailing_metadata(),
    )


@pytest.mark.parametrize("name", SENDABLE)
@OUTCOMES
async def test_a_credential_in_metadata_is_in_no_event_and_no_repr(
    echoing_server: GrpcTestServer, invoke: Invoke, debug_logs: Logs, name: str, user_id: str
) -> None:
    value = _value(name)
    request = ScriptedRequest(user_id, metadata={name: value})
    with GrpcClient(echoing_server.target, default_timeout=10.0) as client:
        response = await invoke(client, request)
        shown = _shown(debug_logs, request, client, client.settings, *_response_views(response))

    assert response.metadata()[name] == value  # it came back, so it had every chance to show
    assert [event["log_level"] for event in debug_logs] == (
        ["debug"] if response.is_success() else ["info"]  # NOT_FOUND: the server's answer
    )
    assert "s3cr3t" not in shown
    if not response.is_success():
        assert debug_logs[0]["metadata"][name] == REDACTED


@pytest.mark.parametrize("name", ORDINARY)
async def test_an_ordinary_key_stays_readable_in_the_failure_event(
    echoing_server: GrpcTestServer, invoke: Invoke, debug_logs: Logs, name: str
) -> None:
    value = f"visible-{name}-0001"
    with GrpcClient(echoing_server.target, default_timeout=10.0) as client:
        await invoke(client, ScriptedRequest("404", metadata={name: value}))

    assert debug_logs[0]["metadata"][name] == value
    assert f"('{name}', '{value}')" in repr(GrpcMetadata([(name, value)]))


@pytest.mark.parametrize("name", SENSITIVE)
async def test_a_credential_the_client_refuses_to_send_is_not_in_the_error(
    echoing_server: GrpcTestServer, invoke: Invoke, debug_logs: Logs, name: str
) -> None:
    """An uppercase key, or a value gRPC could not carry: the error names the key only."""
    secret = f"s3cr3t-{name}-4f9a1c"
    value = secret if name != name.lower() else f"{secret}\n"
    request = ScriptedRequest("1", metadata={name: value})
    with GrpcClient(echoing_server.target, default_timeout=10.0) as client:
        with pytest.raises(InvalidGrpcMetadata) as refused:
            await invoke(client, request)
        shown = _shown(debug_logs, refused.value, request, client)

    assert refused.value.key == name
    assert "s3cr3t" not in shown
