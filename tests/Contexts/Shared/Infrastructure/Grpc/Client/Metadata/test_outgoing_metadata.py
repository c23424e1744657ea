from typing import Any

import pytest

from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors import (
    InvalidGrpcMetadata,
    InvalidGrpcRequest,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClient import GrpcClient
from app.Contexts.Shared.Infrastructure.Grpc.Client.Metadata.OutgoingMetadata import (
    OutgoingMetadata,
)
from tests.conftest import Invoke
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
    ],
)
async def test_metadata_that_is_neither_a_mapping_nor_pairs_is_refused(
    client: GrpcClient, invoke: Invoke, metadata: Any
) -> None:
    with pytest.raises(InvalidGrpcRequest, match="must return a mapping or \\(key, value\\) pairs"):
        await invoke(client, ScriptedRequest("1", metadata=metadata))


def test_a_key_checked_once_is_still_checked_against_its_value() -> None:
    OutgoingMetadata.build({"x-remembered": "ok"}, "trace-id-0001")

    with pytest.raises(InvalidGrpcMetadata, match="x-remembered"):
        OutgoingMetadata.build({"x-remembered": 1}, "trace-id-0001")  # type: ignore[dict-item]


def test_the_context_trace_id_is_appended_last() -> None:
    pairs, trace_id = OutgoingMetadata.build({"x-a": "1"}, "ctx-trace-0001")

    assert pairs == (("x-a", "1"), ("x-trace-id", "ctx-trace-0001"))
    assert trace_id == "ctx-trace-0001"
