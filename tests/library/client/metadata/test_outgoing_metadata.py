from typing import Any

import pytest
from structlog.testing import capture_logs

from grpc_request_client import (
    CircuitBreakerPolicy,
    GrpcCallStage,
    GrpcClient,
    GrpcInvocation,
    InvalidGrpcMetadata,
    InvalidGrpcRequest,
    RequestContext,
    RequestContextData,
    RetryPolicy,
)
from grpc_request_client.context import TraceId
from grpc_request_client.metadata import (
    ENTRY_OVERHEAD,
    MAX_METADATA_BYTES,
    MetadataPairs,
    OutgoingMetadata,
    SentIds,
)
from grpc_request_client.testing import FakeGrpcClient
from tests.conftest import Invoke
from tests.Support.FakeClock import FakeClock
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest


@pytest.mark.parametrize(
    ("metadata", "key", "says"),
    [
        pytest.param(
            {"X-Client": "1"}, "X-Client", "must be lowercase: use 'x-client'", id="uppercase-key"
        ),
        pytest.param({"grpc-timeout": "1"}, "grpc-timeout", "reserved for gRPC", id="grpc-prefix"),
        pytest.param({"x client": "1"}, "x client", "may only contain", id="space-in-key"),
        pytest.param({"": "1"}, "", "may only contain", id="empty-key"),
        pytest.param({":authority": "evil"}, ":authority", "may only contain", id="pseudo-header"),
        pytest.param([(7, "1")], "7", "keys must be str, got int", id="key-not-str"),
        pytest.param({"x-count": 3}, "x-count", "values must be str .* got int", id="int-value"),
        pytest.param(
            {"x-raw": b"\x00"}, "x-raw", "values must be str .* got bytes", id="bytes-on-text-key"
        ),
        pytest.param(
            {"x-blob-bin": "text"}, "x-blob-bin", "take bytes values", id="str-on-bin-key"
        ),
        pytest.param({"x-name": "José"}, "x-name", "printable ASCII", id="non-ascii-value"),
        pytest.param({"x-name": "a\nb"}, "x-name", "printable ASCII", id="newline-in-value"),
    ],
)
async def test_bad_metadata_raises_a_named_error_that_names_the_key_and_sends_nothing(
    client: GrpcClient,
    server: RunningServer,
    invoke: Invoke,
    metadata: Any,
    key: str,
    says: str,
) -> None:
    with pytest.raises(InvalidGrpcMetadata, match=says) as raised:
        await invoke(client, ScriptedRequest("1", metadata=metadata))

    assert raised.value.key == key
    assert server.service.received == []


async def test_the_error_never_repeats_the_value(client: GrpcClient, invoke: Invoke) -> None:
    with pytest.raises(InvalidGrpcMetadata) as raised:
        await invoke(client, ScriptedRequest("1", metadata={"authorization": "Bearer tökén"}))

    assert "tökén" not in str(raised.value)


@pytest.mark.parametrize(
    "metadata",
    [
        pytest.param(42, id="int"),
        pytest.param(["x-a"], id="not-pairs"),
        pytest.param([("a", "b", "c")], id="triples"),
        pytest.param(["ab"], id="two-letter-strs"),  # would unpack into the pair ('a', 'b')
        pytest.param("ab", id="a-str"),
    ],
)
async def test_metadata_that_is_neither_a_mapping_nor_pairs_is_refused(
    client: GrpcClient, invoke: Invoke, metadata: Any
) -> None:
    with pytest.raises(
        InvalidGrpcMetadata,
        match=r"ScriptedRequest\.metadata\(\) must return a mapping or \(key, value\) pairs",
    ):
        await invoke(client, ScriptedRequest("1", metadata=metadata))


class NoMetadataRequest(ScriptedRequest):
    """Breaks its declared type: ``metadata()`` says ``RequestMetadata`` and returns ``None``."""

    def metadata(self) -> Any:
        return None


async def test_metadata_returned_as_none_is_refused_by_name_before_anything_is_sent(
    server: RunningServer, client: GrpcClient, invoke: Invoke
) -> None:
    with pytest.raises(InvalidGrpcMetadata) as raised:
        await invoke(client, NoMetadataRequest("1"))

    assert str(raised.value) == (
        "NoMetadataRequest.metadata() must return a mapping or (key, value) pairs ({} for none), "
        "but returned NoneType; nothing was sent"
    )
    assert isinstance(raised.value, InvalidGrpcRequest)
    assert server.service.received == []


async def test_the_fake_client_refuses_metadata_returned_as_none_as_the_real_one_does(
    invoke: Invoke,
) -> None:
    with FakeGrpcClient("users:50051") as fake:
        with pytest.raises(InvalidGrpcMetadata, match=r"NoMetadataRequest\.metadata\(\)"):
            await invoke(fake, NoMetadataRequest("1"))

        assert fake.calls == ()


class NoneStage(GrpcCallStage[None]):
    def start(self, invocation: GrpcInvocation) -> None:
        return None

    def metadata(self, state: None, metadata: MetadataPairs) -> Any:
        return None


async def test_a_stage_whose_metadata_returns_none_is_refused_by_name(
    server: RunningServer, invoke: Invoke
) -> None:
    client = GrpcClient(server.target, default_timeout=10.0, stages=(NoneStage(),))
    with client, pytest.raises(InvalidGrpcMetadata, match=r"NoneStage\.metadata\(\) must return"):
        await invoke(client, ScriptedRequest("1"))

    assert server.service.received == []


def test_a_key_checked_once_is_still_checked_against_its_value() -> None:
    OutgoingMetadata.build({"x-remembered": "ok"}, RequestContextData())

    with pytest.raises(InvalidGrpcMetadata, match="x-remembered"):
        OutgoingMetadata.build({"x-remembered": 1}, RequestContextData())  # type: ignore[dict-item]


def test_the_context_ids_follow_the_requests_own_pairs_and_a_request_id_when_chosen() -> None:
    context = RequestContextData("ctx-trace-0001", user_id="ada", correlation_id="ctx-corr-0001")

    default = OutgoingMetadata.build({"x-a": "1"}, context)
    pairs, trace_id, correlation_id, request_id = OutgoingMetadata.build(
        {"x-a": "1"}, context, ids=SentIds(SentIds.NAMES)
    )

    ids = (
        ("x-trace-id", "ctx-trace-0001"),
        ("user-id", "ada"),
        ("correlation-id", "ctx-corr-0001"),
    )
    assert default == ((("x-a", "1"), *ids), "ctx-trace-0001", "ctx-corr-0001", "")
    assert pairs == (("x-a", "1"), *ids, ("request-id", request_id))
    assert (trace_id, correlation_id) == ("ctx-trace-0001", "ctx-corr-0001")
    assert TraceId.is_valid(request_id)


async def test_inside_a_context_the_server_receives_its_ids_and_by_default_no_request_id(
    client: GrpcClient, server: RunningServer, invoke: Invoke
) -> None:
    with RequestContext.scope(trace_id="trace-ids-0001", user_id="user-42") as context:
        await invoke(client, ScriptedRequest("1"))

    received = server.service.received[-1]
    assert received["x-trace-id"] == "trace-ids-0001"
    assert received["user-id"] == "user-42"
    assert received["correlation-id"] == context.correlation_id
    assert "request-id" not in received


async def test_short_ids_given_in_code_reach_the_server_as_given(
    client: GrpcClient, server: RunningServer, invoke: Invoke
) -> None:
    with RequestContext.scope("t-1", user_id="ada lovelace", correlation_id="c 1"):
        await invoke(client, ScriptedRequest("1"))

    received = server.service.received[-1]
    assert (received["x-trace-id"], received["user-id"], received["correlation-id"]) == (
        "t-1",
        "ada lovelace",
        "c 1",
    )


async def test_calls_in_one_context_share_its_correlation_id_but_not_a_request_id(
    server: RunningServer, invoke: Invoke
) -> None:
    with (
        GrpcClient(server.target, sent_ids=SentIds.NAMES) as client,
        RequestContext.scope() as context,
    ):
        await invoke(client, ScriptedRequest("1"))
        await invoke(client, ScriptedRequest("2"))

    first, second = server.service.received
    assert first["correlation-id"] == second["correlation-id"] == context.correlation_id
    assert first["request-id"] != second["request-id"]


async def test_outside_any_context_only_a_request_id_is_sent_even_with_every_id_chosen(
    server: RunningServer, invoke: Invoke
) -> None:
    with GrpcClient(server.target, sent_ids=SentIds.NAMES) as client:
        await invoke(client, ScriptedRequest("1"))
        await invoke(client, ScriptedRequest("2"))

    first, second = server.service.received
    assert TraceId.is_valid(first["request-id"])
    assert first["request-id"] != second["request-id"]
    assert not {"x-trace-id", "user-id", "correlation-id"} & first.keys()


async def test_a_request_that_sets_the_ids_itself_sends_and_logs_its_own_values_once(
    client: GrpcClient, server: RunningServer, invoke: Invoke
) -> None:
    own = {
        "x-trace-id": "own-trace-0001",
        "user-id": "own-user",
        "correlation-id": "own-correlation-0001",
        "request-id": "own-request-0001",
    }
    with capture_logs() as logs, RequestContext.scope(user_id="context-user"):
        await invoke(client, ScriptedRequest("1", metadata=own))

    sent = server.service.received_pairs[-1]
    for key, value in own.items():
        assert [seen for name, seen in sent if name == key] == [value]
    (event,) = logs
    assert (event["trace_id"], event["correlation_id"], event["request_id"]) == (
        "own-trace-0001",
        "own-correlation-0001",
        "own-request-0001",
    )


async def test_every_retry_of_a_call_carries_the_same_request_id(
    server: RunningServer, invoke: Invoke
) -> None:
    retry = RetryPolicy(initial_backoff=0.1, jitter=0.0, max_attempts=3)
    breaker = CircuitBreakerPolicy.disabled()
    with GrpcClient(
        server.target,
        retry=retry,
        circuit_breaker=breaker,
        clock=FakeClock(),
        sent_ids=["request_id"],
    ) as client:
        response = await invoke(client, ScriptedRequest("fail-2-UNAVAILABLE", idempotent=True))
        await invoke(client, ScriptedRequest("1"))

    assert response.attempts() == 3
    *attempts, next_call = [seen["request-id"] for seen in server.service.received]
    assert len(attempts) == 3
    assert len(set(attempts)) == 1
    assert next_call != attempts[0]


SIZE_TRACE_ID = "trace-size-0001"
SIZE_CORRELATION_ID = "corr-size-0001"


def _room_for_one_value(key: str) -> int:
    """The longest value ``key`` may take in a scope with the ids above and no user."""
    ids = (("x-trace-id", SIZE_TRACE_ID), ("correlation-id", SIZE_CORRELATION_ID))
    taken = sum(len(name) + len(value) + ENTRY_OVERHEAD for name, value in ids)
    return MAX_METADATA_BYTES - taken - len(key) - ENTRY_OVERHEAD


async def test_metadata_a_server_would_refuse_for_its_size_raises_before_anything_is_sent(
    client: GrpcClient, server: RunningServer, invoke: Invoke
) -> None:
    with (
        RequestContext.scope(SIZE_TRACE_ID, correlation_id=SIZE_CORRELATION_ID),
        pytest.raises(
            InvalidGrpcMetadata, match=r"would be 20\d\d\d bytes, over the 7168"
        ) as raised,
    ):
        await invoke(client, ScriptedRequest("1", metadata={"x-big": "v" * 20_000}))

    assert raised.value.key == "x-big"
    assert "the largest at 20037 bytes" in str(raised.value)
    assert server.service.received == []


async def test_metadata_just_under_the_limit_goes_through_and_one_byte_more_does_not(
    client: GrpcClient, server: RunningServer, invoke: Invoke
) -> None:
    fits = "v" * _room_for_one_value("x-big")

    with RequestContext.scope(SIZE_TRACE_ID, correlation_id=SIZE_CORRELATION_ID):
        response = await invoke(client, ScriptedRequest("1", metadata={"x-big": fits}))
        with pytest.raises(InvalidGrpcMetadata, match="would be 7169 bytes"):
            await invoke(client, ScriptedRequest("1", metadata={"x-big": fits + "v"}))

    assert response.is_success(), response.details()
    assert [seen["x-big"] for seen in server.service.received] == [fits]


def test_binary_values_count_as_the_base64_that_is_sent() -> None:
    raw = b"\x00" * 6000  # 6000 bytes, 8000 in base64

    with pytest.raises(InvalidGrpcMetadata, match="the largest at 8042 bytes") as raised:
        OutgoingMetadata.build({"x-blob-bin": raw}, RequestContextData())

    assert raised.value.key == "x-blob-bin"


def test_the_largest_key_is_named_when_several_add_up_to_too_much() -> None:
    metadata = {"x-a": "a" * 2500, "x-b": "b" * 3000, "x-c": "c" * 2000}

    with pytest.raises(InvalidGrpcMetadata, match="the largest at 3035 bytes") as raised:
        OutgoingMetadata.build(metadata, RequestContextData())

    assert raised.value.key == "x-b"


def test_the_ids_the_client_adds_count_too() -> None:
    context = RequestContextData("t" * 8000, correlation_id="corr-size-0001")

    with pytest.raises(InvalidGrpcMetadata) as raised:
        OutgoingMetadata.build({}, context)

    assert raised.value.key == "x-trace-id"


SENT = (("x-trace-id", "trace-in-0001"), ("correlation-id", "corr-in-0001"), ("request-id", "r1"))


def test_a_stage_that_keeps_the_pairs_it_was_given_and_adds_some_names_the_kept_ids() -> None:
    added = ("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")

    pairs, trace_id, correlation_id, request_id = OutgoingMetadata.rewritten(
        (*SENT, added), sent=SENT
    )

    assert pairs == (*SENT, added)
    assert (trace_id, correlation_id, request_id) == ("trace-in-0001", "corr-in-0001", "r1")


@pytest.mark.parametrize(
    ("added", "problem"),
    [
        (("Traceparent", "x"), "lowercase"),
        (("grpc-trace-bin", b"x"), "reserved"),
        (("baggage", "tenant=é"), "printable ASCII"),
        (("x-bin", "text"), "bytes"),
    ],
)
def test_a_pair_a_stage_adds_to_the_kept_ones_is_still_checked(
    added: tuple[str, str | bytes], problem: str
) -> None:
    with pytest.raises(InvalidGrpcMetadata, match=problem):
        OutgoingMetadata.rewritten((*SENT, added), sent=SENT)


def test_a_stage_that_drops_a_key_with_none_takes_the_long_way() -> None:
    pairs, trace_id, _, _ = OutgoingMetadata.rewritten(
        (*SENT[1:], ("x-trace-id", None)),
        sent=SENT,  # type: ignore[arg-type]
    )

    assert pairs == SENT[1:]
    assert trace_id == ""
