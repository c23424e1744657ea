"""``sent_ids``: which of the ids go out as metadata on every call, as a real server sees them."""

from typing import Any

import pytest

from grpc_request_client import (
    GrpcClient,
    GrpcClientRegistry,
    GrpcClientSettings,
    InvalidGrpcClientEnvironment,
    InvalidGrpcClientSettings,
    RequestContext,
)
from grpc_request_client.context import TraceId
from tests.conftest import Invoke
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest

KEYS = {
    "trace_id": "x-trace-id",
    "user_id": "user-id",
    "correlation_id": "correlation-id",
    "request_id": "request-id",
}
CONTEXT = {"trace_id": "trace-sent-0001", "user_id": "user-7", "correlation_id": "corr-sent-01"}


def _ids_received(server: RunningServer) -> dict[str, str | bytes]:
    return {
        key: value for key, value in server.service.received[-1].items() if key in KEYS.values()
    }


@pytest.mark.parametrize(
    "chosen",
    [
        pytest.param(("trace_id",), id="trace"),
        pytest.param(("user_id",), id="user"),
        pytest.param(("correlation_id",), id="correlation"),
        pytest.param(("request_id",), id="request"),
        pytest.param((), id="none"),
        pytest.param(("trace_id", "user_id", "correlation_id", "request_id"), id="all"),
    ],
)
async def test_the_server_receives_exactly_the_ids_chosen(
    server: RunningServer, invoke: Invoke, chosen: tuple[str, ...]
) -> None:
    with (
        GrpcClient(server.target, sent_ids=chosen) as client,
        RequestContext.scope(
            CONTEXT["trace_id"], **{k: CONTEXT[k] for k in CONTEXT if k != "trace_id"}
        ),
    ):
        response = await invoke(client, ScriptedRequest("1"))

    assert response.is_success()
    received = _ids_received(server)
    assert set(received) == {KEYS[name] for name in chosen}
    for name in chosen:
        expected = CONTEXT.get(name)
        assert (
            received[KEYS[name]] == expected if expected else TraceId.is_valid(received[KEYS[name]])
        )


async def test_by_default_the_context_s_ids_propagate_and_no_request_id_is_made(
    client: GrpcClient, server: RunningServer, invoke: Invoke
) -> None:
    with RequestContext.scope("trace-sent-0002", user_id="user-8") as context:
        await invoke(client, ScriptedRequest("1"))

    assert _ids_received(server) == {
        "x-trace-id": "trace-sent-0002",
        "user-id": "user-8",
        "correlation-id": context.correlation_id,
    }


async def test_a_request_s_own_id_is_sent_whatever_the_client_chose(
    server: RunningServer, invoke: Invoke
) -> None:
    with GrpcClient(server.target, sent_ids=()) as client:
        await invoke(client, ScriptedRequest("1", metadata={"request-id": "own-request-0001"}))

    assert _ids_received(server) == {"request-id": "own-request-0001"}


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        (["request_id", "trace_id"], ("trace_id", "request_id")),
        ({"correlation_id"}, ("correlation_id",)),
        (frozenset(), ()),
        (("user_id", "user_id"), ("user_id",)),
    ],
)
def test_the_names_are_kept_once_each_in_the_order_they_are_sent(
    given: Any, kept: tuple[str, ...]
) -> None:
    assert GrpcClientSettings.create("users:50051", sent_ids=given).sent_ids == kept


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("trace_id", r"must be a list, tuple or set of names among \['trace_id', "),
        (None, "must be a list, tuple or set"),
        (["trace"], r"'trace' is no id the client sends; .* did you mean 'trace_id'\?"),
        (["x-trace-id"], "'x-trace-id' is no id the client sends"),
        ([1], "1 is no id the client sends"),
    ],
)
def test_anything_but_a_collection_of_id_names_is_refused_by_name(given: Any, says: str) -> None:
    with pytest.raises(InvalidGrpcClientSettings, match=f"sent_ids.*{says}"):
        GrpcClient("users:50051", sent_ids=given)


@pytest.mark.parametrize(
    ("raw", "kept"),
    [("request_id, trace_id", ("trace_id", "request_id")), ("none", ()), ("NONE", ())],
)
def test_the_environment_names_them_separated_by_commas(raw: str, kept: tuple[str, ...]) -> None:
    registry = GrpcClientRegistry({"USERS_GRPC_SENT_IDS": raw})

    assert registry.register("users", "users:50051").sent_ids == kept


def test_an_unknown_name_in_the_environment_names_the_variable() -> None:
    registry = GrpcClientRegistry({"USERS_GRPC_SENT_IDS": "trace_id,span_id"})

    with pytest.raises(InvalidGrpcClientEnvironment, match=r"USERS_GRPC_SENT_IDS.*'span_id'"):
        registry.register("users", "users:50051")
