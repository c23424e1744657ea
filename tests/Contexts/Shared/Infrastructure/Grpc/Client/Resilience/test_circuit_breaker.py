import threading

import grpc
import pytest

from app.Contexts.Shared.Infrastructure.Grpc.Client.Channel.ChannelRegistry import ChannelRegistry
from app.Contexts.Shared.Infrastructure.Grpc.Client.CircuitBreakerPolicy import (
    CircuitBreakerPolicy,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors import InvalidGrpcClientSettings
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClient import GrpcClient
from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.CircuitBreaker import CircuitBreaker
from app.Contexts.Shared.Infrastructure.Grpc.Client.RetryPolicy import RetryPolicy
from protos import user_pb2
from tests.conftest import Invoke
from tests.Support.FakeClock import FakeClock
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest

POLICY = CircuitBreakerPolicy(failure_threshold=3, reset_timeout=10.0)


def _client(
    server: RunningServer,
    clock: FakeClock,
    policy: CircuitBreakerPolicy = POLICY,
    retry: RetryPolicy | None = None,
) -> GrpcClient:
    return GrpcClient(
        server.target,
        circuit_breaker=policy,
        retry=retry or RetryPolicy.disabled(),
        clock=clock,
        channel_registry=ChannelRegistry(linger=0),
    )


async def test_consecutive_transport_failures_open_the_circuit_and_calls_stop_reaching_the_server(
    server: RunningServer, invoke: Invoke
) -> None:
    with _client(server, FakeClock()) as client:
        failures = [await invoke(client, ScriptedRequest("always-UNAVAILABLE")) for _ in range(3)]
        refused = await invoke(client, ScriptedRequest("1"))

    assert [response.attempts() for response in failures] == [1, 1, 1]
    assert refused.status_code() is grpc.StatusCode.UNAVAILABLE
    assert refused.details().startswith(f"circuit open for {server.target}")
    assert refused.attempts() == 0
    assert len(server.service.received) == 3


async def test_after_the_cool_down_one_probe_closes_the_circuit_on_success(
    server: RunningServer, invoke: Invoke
) -> None:
    clock = FakeClock()
    with _client(server, clock) as client:
        for _ in range(3):
            await invoke(client, ScriptedRequest("always-UNAVAILABLE"))
        clock.advance(9.9)
        still_open = await invoke(client, ScriptedRequest("1"))
        clock.advance(0.1)
        probe = await invoke(client, ScriptedRequest("1"))
        after = await invoke(client, ScriptedRequest("1"))

    assert still_open.attempts() == 0
    assert "next probe in 0.1 s" in still_open.details()
    assert probe.is_success()
    assert after.is_success()


async def test_a_failed_probe_opens_the_circuit_for_another_cool_down(
    server: RunningServer, invoke: Invoke
) -> None:
    clock = FakeClock()
    with _client(server, clock) as client:
        for _ in range(3):
            await invoke(client, ScriptedRequest("always-UNAVAILABLE"))
        clock.advance(10)
        probe = await invoke(client, ScriptedRequest("always-UNAVAILABLE"))
        refused = await invoke(client, ScriptedRequest("1"))

    assert probe.attempts() == 1
    assert refused.attempts() == 0
    assert len(server.service.received) == 4


async def test_answers_from_a_healthy_server_do_not_count_as_failures(
    server: RunningServer, invoke: Invoke
) -> None:
    with _client(server, FakeClock()) as client:
        for _ in range(5):
            await invoke(client, ScriptedRequest("404"))
        for _ in range(2):
            await invoke(client, ScriptedRequest("always-UNAVAILABLE"))
        await invoke(client, ScriptedRequest("1"))
        for _ in range(2):
            await invoke(client, ScriptedRequest("always-UNAVAILABLE"))
        response = await invoke(client, ScriptedRequest("1"))

    assert response.is_success()


async def test_with_method_scope_one_failing_method_leaves_the_others_alone(
    server: RunningServer, invoke: Invoke
) -> None:
    per_method = CircuitBreakerPolicy(failure_threshold=2, scope="method")
    create = ScriptedRequest(method="CreateUser", message=user_pb2.CreateUserRequest(name="ana"))
    with _client(server, FakeClock(), per_method) as client:
        for _ in range(2):
            await invoke(client, ScriptedRequest("always-UNAVAILABLE"))
        refused = await invoke(client, ScriptedRequest("1"))
        other_method = await invoke(client, create)

    assert refused.attempts() == 0
    assert refused.details().startswith(
        f"circuit open for {server.target}/user.UserService/GetUser"
    )
    assert other_method.is_success()


async def test_retries_stop_as_soon_as_the_circuit_opens(
    server: RunningServer, invoke: Invoke
) -> None:
    retry = RetryPolicy(max_attempts=5, jitter=0.0)
    with _client(server, FakeClock(), retry=retry) as client:
        response = await invoke(client, ScriptedRequest("always-UNAVAILABLE", idempotent=True))

    assert response.attempts() == 3
    assert response.details().startswith("circuit open")
    assert len(server.service.received) == 3


def test_clients_with_the_same_settings_share_one_breaker(server: RunningServer) -> None:
    clock, registry = FakeClock(), ChannelRegistry(linger=0)
    settings = {"circuit_breaker": POLICY, "retry": RetryPolicy.disabled(), "clock": clock}
    with (
        GrpcClient(server.target, channel_registry=registry, **settings) as first,  # type: ignore[arg-type]
        GrpcClient(server.target, channel_registry=registry, **settings) as second,  # type: ignore[arg-type]
    ):
        for _ in range(3):
            first.call(ScriptedRequest("always-UNAVAILABLE"))

        assert second.call(ScriptedRequest("1")).attempts() == 0


def test_only_one_probe_goes_out_while_half_open_however_many_threads_ask() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(POLICY, clock)
    for _ in range(3):
        breaker.record("backend", grpc.StatusCode.UNAVAILABLE)
    clock.advance(10)
    start = threading.Barrier(16)
    allowed: list[bool] = []

    def ask() -> None:
        start.wait()
        allowed.append(breaker.allow("backend"))

    threads = [threading.Thread(target=ask) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(allowed) == [False] * 15 + [True]


def test_a_disabled_breaker_never_refuses(server: RunningServer) -> None:
    with _client(server, FakeClock(), CircuitBreakerPolicy.disabled()) as client:
        responses = [client.call(ScriptedRequest("always-UNAVAILABLE")) for _ in range(10)]

    assert all(response.attempts() == 1 for response in responses)


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        ({"failure_threshold": 0}, "failure_threshold"),
        ({"reset_timeout": 0}, "reset_timeout"),
        ({"scope": "host"}, "scope"),
        ({"failure_codes": [grpc.StatusCode.UNAVAILABLE]}, "failure_codes"),
    ],
)
def test_an_unusable_policy_fails_at_construction(arguments: dict[str, object], says: str) -> None:
    with pytest.raises(InvalidGrpcClientSettings, match=says):
        CircuitBreakerPolicy(**arguments)  # type: ignore[arg-type]
