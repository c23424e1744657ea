"""Faults found by probing the client after the first round of fixes, each a kind of issue 8.

Each failed before its fix: a relay forwarding grpc's own never-sent words, a reply the
client cannot decode, close() between attempts or mid-call, a wait-for-ready timeout
against a server that never came, HTTP headers gRPC owns, and inputs of the wrong type.
"""

import threading
from collections.abc import Iterator

import grpc
import pytest

from grpc_request_client import (
    ChannelRegistry,
    CircuitBreakerPolicy,
    GrpcClient,
    GrpcClientError,
    GrpcResponse,
    InvalidGrpcMetadata,
    InvalidGrpcRequest,
    RetryPolicy,
)
from protos import user_pb2
from tests.conftest import Invoke
from tests.Support.InThread import InThread
from tests.Support.RefusedPort import RefusedPort
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest

# pick_first's own words for a call that never left, as a relaying server forwards them.
NEVER_SENT_TEXT = (
    "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:9: Connection refused"
)


class _Handler(grpc.GenericRpcHandler):
    def __init__(self, path: str, behaviour: grpc.RpcMethodHandler) -> None:
        self._path = path
        self._behaviour = behaviour

    def service(self, details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        return self._behaviour if details.method == self._path else None


# Kind 1 ------------------------------------------------------------------------------


class _RelayThatWroteFirst:
    """CreateUser writes its row, then forwards a downstream failure's details verbatim."""

    def __init__(self) -> None:
        self.rows = 0
        self._lock = threading.Lock()

    def handler(self) -> grpc.GenericRpcHandler:
        def create(request: bytes, context: grpc.ServicerContext) -> bytes:
            with self._lock:
                self.rows += 1
            context.abort(grpc.StatusCode.UNAVAILABLE, NEVER_SENT_TEXT)
            return b""

        behaviour = grpc.unary_unary_rpc_method_handler(create)
        return _Handler("/user.UserService/CreateUser", behaviour)


@pytest.fixture
def relay() -> Iterator[tuple[_RelayThatWroteFirst, RunningServer]]:
    relay = _RelayThatWroteFirst()
    with RunningServer.start(relay.handler()) as running:
        yield relay, running


async def test_a_server_relaying_grpcs_never_sent_text_does_not_get_a_create_twice(
    relay: tuple[_RelayThatWroteFirst, RunningServer], invoke: Invoke
) -> None:
    service, running = relay
    create = ScriptedRequest(
        method="CreateUser", message=user_pb2.CreateUserRequest(name="ada"), idempotent=False
    )
    with GrpcClient(running.target) as client:
        response = await invoke(client, create)
    assert service.rows == 1, response
    assert response.outcome_unknown(), response


def _undecodable(request: bytes, context: grpc.ServicerContext) -> bytes:
    return b"\xff\xff\xff"


async def test_a_reply_the_client_cannot_decode_does_not_say_the_outcome_is_known(
    invoke: Invoke,
) -> None:
    """The server did the work and answered OK; only the client could not read it."""
    handler = _Handler(
        "/user.UserService/GetUser", grpc.unary_unary_rpc_method_handler(_undecodable)
    )
    with RunningServer.start(handler) as running, GrpcClient(running.target) as client:
        response = await invoke(client, ScriptedRequest("1"))
    assert response.status_code() is grpc.StatusCode.INTERNAL
    assert response.outcome_unknown(), response


# Kind 2 and 7 ------------------------------------------------------------------------


async def _closed_during_backoff(invoke: Invoke, server: RunningServer) -> GrpcResponse:
    registry = ChannelRegistry(linger=0)
    retry = RetryPolicy(attempt_timeout=0.3, initial_backoff=0.3, jitter=0)
    client = GrpcClient(server.target, channel_registry=registry, retry=retry)
    threading.Timer(0.45, client.close).start()
    return await invoke(client, ScriptedRequest("slow", timeout=3, idempotent=True))


async def test_close_during_a_retry_backoff_still_answers_a_response(
    server: RunningServer, invoke: Invoke
) -> None:
    """The first attempt went out, so the caller must learn its outcome is unknown."""
    response = await _closed_during_backoff(invoke, server)
    assert response.attempts() >= 1
    assert response.outcome_unknown()


async def test_close_mid_call_gives_the_same_details_sync_and_async(server: RunningServer) -> None:
    answers = []
    for use_async in (False, True):
        client = GrpcClient(server.target, channel_registry=ChannelRegistry(linger=0))
        request = ScriptedRequest("slow", timeout=3)
        threading.Timer(0.2, client.close).start()
        if use_async:
            answers.append(await client.call_async(request))
        else:
            answers.append(await InThread.run(client.call, request))
    sync, aio = answers
    assert (sync.status_code(), sync.details()) == (aio.status_code(), aio.details())


# Kind 3 ------------------------------------------------------------------------------


async def test_waiting_for_a_server_that_never_came_does_not_open_the_circuit(
    invoke: Invoke,
) -> None:
    """With wait_for_ready nothing reached a server: the DEADLINE_EXCEEDED is not its failure."""
    breaker = CircuitBreakerPolicy(minimum_calls=3, window_size=10)
    target = RefusedPort.target()
    registry = ChannelRegistry(linger=0)
    with GrpcClient(
        target, circuit_breaker=breaker, wait_for_ready=True, channel_registry=registry
    ) as client:
        for _ in range(3):
            await invoke(client, ScriptedRequest("1", timeout=0.2))
        response = await invoke(client, ScriptedRequest("1", timeout=0.2))
    assert response.attempts() == 1, response


# Kind 8 ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    # grpc-core drops or replaces the first four; the rest are connection-specific
    # headers HTTP/2 forbids (RFC 9113, 8.2.2), which a proxy refuses as malformed.
    ["te", "content-type", "content-length", "user-agent", "connection", "transfer-encoding"],
)
async def test_an_http_header_grpc_owns_or_forbids_is_refused_before_sending(
    client: GrpcClient, invoke: Invoke, key: str
) -> None:
    with pytest.raises(InvalidGrpcMetadata, match=key):
        await invoke(client, ScriptedRequest(metadata={key: "v"}))


@pytest.mark.parametrize("answer", ["no", 1, None])
async def test_idempotent_must_answer_a_bool(
    client: GrpcClient, invoke: Invoke, answer: object
) -> None:
    with pytest.raises(InvalidGrpcRequest, match="idempotent"):
        await invoke(client, ScriptedRequest(idempotent=answer))


@pytest.mark.parametrize("argument", ["clock", "channel_registry"])
def test_a_client_refuses_a_clock_or_registry_that_is_not_one(
    server: RunningServer, argument: str
) -> None:
    with pytest.raises(GrpcClientError):
        GrpcClient(server.target, **{argument: object()})  # type: ignore[arg-type]
