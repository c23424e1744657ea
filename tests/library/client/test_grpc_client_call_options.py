"""Per-call options: what a request chooses wins over the client's default, on the wire."""

import json
import socket
import threading

import grpc
import pytest

from grpc_request_client import (
    CircuitBreakerPolicy,
    GrpcClient,
    InvalidGrpcClientSettings,
    InvalidGrpcRequest,
    RetryPolicy,
)
from tests.conftest import Invoke
from tests.Support.CountingProxy import CountingProxy
from tests.Support.RefusedPort import RefusedPort
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest

COMPRESSIBLE = "a" * 60_000


async def _bytes_sent(
    server: RunningServer, invoke: Invoke, client_compression: str | None, request_choice: object
) -> int:
    with (
        CountingProxy.start(server.port) as proxy,
        GrpcClient(proxy.target, compression=client_compression) as client,
    ):
        response = await invoke(client, ScriptedRequest(COMPRESSIBLE, compression=request_choice))
        assert response.is_success(), response
        return proxy.sent


@pytest.mark.parametrize(
    ("client_compression", "request_choice", "compressed"),
    [
        pytest.param("gzip", "none", False, id="request-none-beats-client-gzip"),
        pytest.param("gzip", None, True, id="client-gzip-by-default"),
        pytest.param(None, "gzip", True, id="request-gzip-on-plain-client"),
        pytest.param(None, None, False, id="neither"),
        pytest.param("gzip", grpc.Compression.NoCompression, False, id="enum-none"),
        pytest.param("deflate", "gzip", True, id="request-gzip-beats-client-deflate"),
    ],
)
async def test_the_requests_compression_wins_over_the_clients_on_the_wire(
    server: RunningServer,
    invoke: Invoke,
    client_compression: str | None,
    request_choice: object,
    compressed: bool,
) -> None:
    sent = await _bytes_sent(server, invoke, client_compression, request_choice)

    assert (sent < len(COMPRESSIBLE) // 4) is compressed, sent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve_later(port: int, delay: float, stop: threading.Event) -> threading.Thread:
    def serve() -> None:
        stop.wait(delay)
        with RunningServer.start(port=port):
            stop.wait(30)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize(
    ("client_default", "request_choice"),
    [(True, None), (False, True)],
    ids=["client-default", "request-override"],
)
async def test_wait_for_ready_waits_for_a_server_that_starts_late(
    invoke: Invoke, client_default: bool, request_choice: bool | None
) -> None:
    port, stop = _free_port(), threading.Event()
    thread = _serve_later(port, 0.5, stop)
    no_retry = RetryPolicy.disabled()
    # grpc retries the refused connection every 0.1 s rather than on its own schedule (1 s,
    # then 1.6 s...), so the call goes out as soon as the server listens, not up to 2 s later.
    settings = {"retry": no_retry, "max_reconnect_backoff": 0.1}
    try:
        with GrpcClient(f"127.0.0.1:{port}", wait_for_ready=client_default, **settings) as c:
            response = await invoke(
                c, ScriptedRequest("1", timeout=5.0, wait_for_ready=request_choice)
            )
    finally:
        stop.set()
        thread.join()

    assert response.is_success(), response
    assert response.attempts() == 1


async def test_a_request_can_turn_the_clients_wait_for_ready_off(invoke: Invoke) -> None:
    breaker = CircuitBreakerPolicy.disabled()
    no_retry = RetryPolicy.disabled()
    with GrpcClient(
        RefusedPort.target(), wait_for_ready=True, retry=no_retry, circuit_breaker=breaker
    ) as client:
        fails_fast = await invoke(client, ScriptedRequest("1", timeout=5.0, wait_for_ready=False))
        waits = await invoke(client, ScriptedRequest("1", timeout=0.3))

    assert fails_fast.status_code() is grpc.StatusCode.UNAVAILABLE
    assert waits.status_code() is grpc.StatusCode.DEADLINE_EXCEEDED


async def test_a_wait_for_ready_that_is_not_a_bool_is_refused_before_sending(
    client: GrpcClient, invoke: Invoke
) -> None:
    with pytest.raises(InvalidGrpcRequest, match=r"wait_for_ready\(\) must return a bool or None"):
        await invoke(client, ScriptedRequest("1", wait_for_ready="yes"))


def test_a_client_wait_for_ready_that_is_not_a_bool_is_refused() -> None:
    with pytest.raises(InvalidGrpcClientSettings, match="wait_for_ready must be a bool"):
        GrpcClient("127.0.0.1:50051", wait_for_ready=1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "options",
    [
        {"grpc.default_compression_algorithm": 2},
        {"grpc.default_compression_level": 2},
        {
            "grpc.service_config": json.dumps(
                {"methodConfig": [{"name": [{"service": "user.UserService"}], "timeout": "2s"}]}
            )
        },
    ],
    ids=["compression-algorithm", "compression-level", "service-config-timeout"],
)
def test_a_channel_default_that_would_beat_a_requests_own_choice_is_refused(
    options: dict[str, object],
) -> None:
    """grpc lets these beat what each call asks for; the client's own settings do not."""
    with pytest.raises(InvalidGrpcClientSettings, match=r"use (compression=|default_timeout=)"):
        GrpcClient("127.0.0.1:50051", options=options)  # type: ignore[arg-type]
