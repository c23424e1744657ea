"""SendEvidence on the real failure of each situation, through call and call_async.

Wherever the answer is "proven never sent", the test also checks the server
saw nothing; wherever it is not, that the server did see the request (it is
exactly the doubt the proof must not paper over). Retries and the circuit
breaker are off, so each response is one attempt's own failure.
"""

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from grpc_request_client import CircuitBreakerPolicy, GrpcClient, GrpcResponse, RetryPolicy
from grpc_request_client.grpcio_transport import SendEvidence
from protos.my_pb2 import MyRequest, MyResponse
from protos.user_pb2 import CreateUserRequest
from tests.conftest import Invoke
from tests.Support.Certificates import Certificates
from tests.Support.CommittingBackend import CommittingBackend
from tests.Support.GoawayPeer import GoawayPeer
from tests.Support.RefusedPort import RefusedPort
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest

UNAVAILABLE = grpc.StatusCode.UNAVAILABLE
FORWARDED = (
    "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:1: "
    "Failed to connect to remote host: Connection refused"
)


def _client(target: str, **settings: Any) -> GrpcClient:
    return GrpcClient(
        target,
        default_timeout=10.0,
        retry=RetryPolicy.disabled(),
        circuit_breaker=CircuitBreakerPolicy.disabled(),
        **settings,
    )


def _proves_never_sent(response: GrpcResponse) -> bool:
    return SendEvidence.proves_never_sent(
        response.status_code(), response.details(), metadata_received=len(response.metadata()) > 0
    )


def _create_user() -> ScriptedRequest:
    return ScriptedRequest(method="CreateUser", message=CreateUserRequest(name="ada"))


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    return tmp_path / "ledger.sqlite"


@pytest.fixture
def replicas(ledger: Path) -> Iterator[list[CommittingBackend]]:
    """Two backends; whichever takes the first call commits it and dies unanswered."""
    started = [CommittingBackend(ledger, die_first=1) for _ in range(2)]
    try:
        for backend in started:
            backend.serve()
        yield started
    finally:
        for backend in started:
            backend.stop()


async def test_a_refused_connection_under_pick_first_proves_it(invoke: Invoke) -> None:
    with _client(RefusedPort.target()) as client:
        response = await invoke(client, ScriptedRequest("1"))

    assert response.status_code() is UNAVAILABLE
    assert response.details().startswith("failed to connect to all addresses; last error: ")
    assert _proves_never_sent(response)


async def test_refused_connections_under_round_robin_prove_it(invoke: Invoke) -> None:
    target = f"ipv4:{RefusedPort.target(1)},{RefusedPort.target(2)}"
    with _client(target, load_balancing="round_robin") as client:
        response = await invoke(client, ScriptedRequest("1"))

    assert response.status_code() is UNAVAILABLE
    assert response.details().startswith("connections to all backends failing; last error: ")
    assert _proves_never_sent(response)


async def test_a_server_killed_after_committing_proves_nothing(
    ledger: Path, invoke: Invoke
) -> None:
    backend = CommittingBackend(ledger, die_first=1)
    try:
        backend.serve()
        with _client(backend.address) as client:
            response = await invoke(client, _create_user())
    finally:
        backend.stop()

    assert backend.died()
    assert response.status_code() is UNAVAILABLE
    assert not _proves_never_sent(response)
    assert len(CommittingBackend.rows(ledger)) == 1  # the work was done


async def test_a_server_stopped_with_grace_mid_call_proves_nothing(invoke: Invoke) -> None:
    with RunningServer.start() as server, _client(server.target) as client:

        def stop_once_it_has_the_call() -> None:
            server.wait_until_received(1)
            server.stop(0.2)

        stopper = threading.Thread(target=stop_once_it_has_the_call)
        stopper.start()
        response = await invoke(client, ScriptedRequest("slow"))
        stopper.join()

    assert response.status_code() is UNAVAILABLE
    assert not _proves_never_sent(response)
    assert len(server.service.received) == 1


async def test_a_call_in_the_reconnect_backoff_of_a_restarted_server_proves_it(
    invoke: Invoke,
) -> None:
    """Back on its port, but the channel waits out its backoff first: calls fail, unsent."""
    with RunningServer.start() as first:
        port = first.port
    slow_to_retry = {"grpc.initial_reconnect_backoff_ms": 10_000}
    with _client(first.target, max_reconnect_backoff=10.0, options=slow_to_retry) as client:
        down = await invoke(client, ScriptedRequest("1"))
        with RunningServer.start(port=port) as second:
            during_backoff = await invoke(client, ScriptedRequest("2"))

    assert _proves_never_sent(down)
    assert during_backoff.details().startswith("failed to connect to all addresses")
    assert _proves_never_sent(during_backoff)
    assert second.service.received == []


async def test_round_robin_with_one_backend_killed_mid_call_then_both_down(
    replicas: list[CommittingBackend], ledger: Path, invoke: Invoke
) -> None:
    target = "ipv4:" + ",".join(backend.address for backend in replicas)
    with _client(target, load_balancing="round_robin") as client:
        killed_mid_call = await invoke(client, _create_user())
        [(_, victim)] = CommittingBackend.rows(ledger)
        next(backend for backend in replicas if backend.pid != victim).stop()
        both_down = await _first_failure_at_the_pick(client, invoke)

    assert killed_mid_call.status_code() is UNAVAILABLE
    assert not _proves_never_sent(killed_mid_call)
    assert _proves_never_sent(both_down)
    assert len(CommittingBackend.rows(ledger)) == 1  # the killed call, and nothing after it


async def _first_failure_at_the_pick(client: GrpcClient, invoke: Invoke) -> GrpcResponse:
    """Call until round_robin fails a call itself: right after a backend is gone, a call
    can still be written to its closing connection, and fail there."""
    for _ in range(100):
        response = await invoke(client, _create_user())
        assert not response.is_success()
        if response.details().startswith("connections to all backends failing; last error: "):
            return response
        await asyncio.sleep(0.01)
    raise AssertionError("round_robin never reported every backend failing")


async def test_a_name_no_dns_server_resolves_proves_it(invoke: Invoke) -> None:
    """The DNS server asked is 127.0.0.1:1, where none listens: only loopback is touched."""
    with _client("dns://127.0.0.1:1/users.test:50051") as client:
        response = await invoke(client, ScriptedRequest("1"))

    assert response.status_code() is UNAVAILABLE
    assert response.details().startswith(("errors resolving ", "DNS resolution failed for "))
    assert _proves_never_sent(response)


async def test_failing_call_credentials_prove_it(
    certificates: Certificates, invoke: Invoke
) -> None:
    def broken() -> str:
        raise RuntimeError("token refresh failed")

    with (
        RunningServer.start(credentials=certificates.server_credentials()) as server,
        _client(server.target, tls=certificates.client_tls(), bearer_token=broken) as client,
    ):
        response = await invoke(client, ScriptedRequest("1"))

    assert response.details().startswith("Getting metadata from plugin failed with error: ")
    assert _proves_never_sent(response)
    assert server.service.received == []


async def test_a_failed_tls_handshake_proves_it(certificates: Certificates, invoke: Invoke) -> None:
    with (
        RunningServer.start(credentials=certificates.server_credentials()) as server,
        _client(server.target, tls=certificates.stranger_tls()) as client,
    ):
        response = await invoke(client, ScriptedRequest("1"))

    assert response.status_code() is UNAVAILABLE
    assert _proves_never_sent(response)
    assert server.service.received == []


async def test_unavailable_answered_by_the_server_proves_nothing(invoke: Invoke) -> None:
    with RunningServer.start() as server, _client(server.target) as client:
        response = await invoke(client, ScriptedRequest("always-UNAVAILABLE"))

    assert response.status_code() is UNAVAILABLE
    assert not _proves_never_sent(response)
    assert len(server.service.received) == 1


async def test_a_server_forwarding_grpcs_own_text_with_metadata_proves_nothing(
    invoke: Invoke,
) -> None:
    def forward(request: MyRequest, context: grpc.ServicerContext) -> MyResponse:
        context.set_trailing_metadata((("x-relayed-by", "b"),))
        context.abort(UNAVAILABLE, FORWARDED)

    handler = grpc.method_handlers_generic_handler(
        "my.Service",
        {
            "MyMethod": grpc.unary_unary_rpc_method_handler(
                forward, MyRequest.FromString, MyResponse.SerializeToString
            )
        },
    )
    relay = ScriptedRequest(service="my.Service", method="MyMethod", message=MyRequest())
    with RunningServer.start(handler) as server, _client(server.target) as client:
        response = await invoke(client, relay)

    assert response.details() == FORWARDED
    assert not _proves_never_sent(response)


@pytest.mark.parametrize("mode", ["refuse", "too_many_pings"])
async def test_a_goaway_proves_nothing_whether_or_not_the_stream_was_accepted(
    mode: Any, invoke: Invoke
) -> None:
    """Both read "GOAWAY received": grpc-core alone knows which stream was refused."""
    peer = GoawayPeer(mode)
    try:
        with _client(peer.target) as client:
            response = await invoke(client, ScriptedRequest("1"))
    finally:
        peer.close()

    assert response.status_code() is UNAVAILABLE
    assert "GOAWAY received" in response.details()
    assert not _proves_never_sent(response)
    assert peer.streams == [(1, 1)]  # it left the client, once
