import json

import grpc
import pytest
from structlog.testing import capture_logs

from grpc_request_client import (
    CircuitBreakerPolicy,
    GrpcClient,
    InvalidGrpcClientSettings,
    InvalidGrpcRequest,
    RetryPolicy,
)
from tests.conftest import Invoke
from tests.Support.FakeClock import FakeClock
from tests.Support.RefusedPort import RefusedPort
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest

NO_JITTER = RetryPolicy(initial_backoff=0.1, multiplier=2.0, jitter=0.0, max_attempts=3)


class IdempotentRequest(ScriptedRequest):
    def idempotent(self) -> bool:
        return True


def _client(server: RunningServer, clock: FakeClock, retry: RetryPolicy = NO_JITTER) -> GrpcClient:
    return GrpcClient(
        server.target, retry=retry, clock=clock, circuit_breaker=CircuitBreakerPolicy.disabled()
    )


async def test_unavailable_is_retried_with_exponential_backoff_until_it_succeeds(
    server: RunningServer, invoke: Invoke
) -> None:
    clock = FakeClock()
    with _client(server, clock) as client, capture_logs() as logs:
        response = await invoke(client, IdempotentRequest("fail-2-UNAVAILABLE"))

    assert response.is_success()
    assert response.attempts() == 3
    assert len(server.service.received) == 3
    assert clock.sleeps == [0.1, 0.2]
    assert logs[-1]["attempts"] == 3


async def test_the_last_attempts_response_is_the_answer_when_attempts_run_out(
    server: RunningServer, invoke: Invoke
) -> None:
    clock = FakeClock()
    with _client(server, clock) as client, capture_logs() as logs:
        response = await invoke(client, IdempotentRequest("always-UNAVAILABLE"))

    assert response.status_code() is grpc.StatusCode.UNAVAILABLE
    assert response.details() == "scripted UNAVAILABLE #3"
    assert response.attempts() == 3
    assert logs[-1]["event"] == "grpc.call.failed"
    assert logs[-1]["attempts"] == 3


async def test_a_servers_unavailable_is_never_sent_again_for_a_request_that_is_not_idempotent(
    server: RunningServer, invoke: Invoke
) -> None:
    """The server received the call, so it may have done the work: the outcome is unknown."""
    clock = FakeClock()
    with _client(server, clock) as client, capture_logs() as logs:
        response = await invoke(client, ScriptedRequest("fail-2-UNAVAILABLE"))

    assert response.status_code() is grpc.StatusCode.UNAVAILABLE
    assert response.outcome_unknown()
    assert logs[-1]["outcome_unknown"] is True
    assert response.attempts() == 1
    assert len(server.service.received) == 1
    assert clock.sleeps == []


async def test_a_refused_connection_is_retried_for_any_request(invoke: Invoke) -> None:
    """grpc failed the call at the pick: nothing was sent, so sending it again is safe."""
    with GrpcClient(
        RefusedPort.target(),
        retry=NO_JITTER,
        clock=FakeClock(),
        circuit_breaker=CircuitBreakerPolicy.disabled(),
    ) as client:
        response = await invoke(client, ScriptedRequest("1"))

    assert response.details().startswith("failed to connect to all addresses")
    assert response.attempts() == 3


@pytest.mark.parametrize(
    ("code", "idempotent", "never_sent", "retried"),
    [
        (grpc.StatusCode.UNAVAILABLE, True, False, True),
        (grpc.StatusCode.UNAVAILABLE, False, True, True),
        (grpc.StatusCode.UNAVAILABLE, False, False, False),
        (grpc.StatusCode.DEADLINE_EXCEEDED, False, False, False),
        (grpc.StatusCode.DEADLINE_EXCEEDED, True, False, True),
        (grpc.StatusCode.INTERNAL, True, True, False),
    ],
)
def test_a_request_that_is_not_idempotent_is_retried_only_when_proven_never_sent(
    code: grpc.StatusCode, idempotent: bool, never_sent: bool, retried: bool
) -> None:
    assert RetryPolicy().retries(code, idempotent, never_sent) is retried


async def test_deadline_exceeded_is_not_retried_unless_the_request_is_idempotent(
    server: RunningServer, invoke: Invoke
) -> None:
    clock = FakeClock()
    with _client(server, clock) as client:
        plain = await invoke(client, ScriptedRequest("fail-1-DEADLINE_EXCEEDED-plain"))
        idempotent = await invoke(client, IdempotentRequest("fail-1-DEADLINE_EXCEEDED-idem"))

    assert plain.status_code() is grpc.StatusCode.DEADLINE_EXCEEDED
    assert plain.attempts() == 1
    assert idempotent.is_success()
    assert idempotent.attempts() == 2


@pytest.mark.parametrize("code", ["NOT_FOUND", "INVALID_ARGUMENT", "INTERNAL", "PERMISSION_DENIED"])
async def test_other_codes_are_never_retried_by_default_even_when_idempotent(
    server: RunningServer, invoke: Invoke, code: str
) -> None:
    with _client(server, FakeClock()) as client:
        response = await invoke(client, IdempotentRequest(f"fail-1-{code}"))

    assert response.status_code() is grpc.StatusCode[code]
    assert response.attempts() == 1
    assert len(server.service.received) == 1


async def test_backoff_never_sleeps_past_the_deadline(
    server: RunningServer, invoke: Invoke
) -> None:
    clock = FakeClock()
    with _client(server, clock) as client:
        response = await invoke(client, IdempotentRequest("always-UNAVAILABLE", timeout=0.25))

    assert clock.sleeps == [0.1]
    assert response.attempts() == 2
    assert response.status_code() is grpc.StatusCode.UNAVAILABLE


async def test_a_request_can_bring_its_own_policy(server: RunningServer, invoke: Invoke) -> None:
    class NoRetry(ScriptedRequest):
        def retry_policy(self) -> RetryPolicy:
            return RetryPolicy.disabled()

    with _client(server, FakeClock()) as client:
        response = await invoke(client, NoRetry("fail-1-UNAVAILABLE"))

    assert response.attempts() == 1
    assert not response.is_success()


@pytest.mark.parametrize(
    "returned",
    [pytest.param(3, id="int"), pytest.param(False, id="false"), pytest.param(0, id="zero")],
)
async def test_a_request_returning_something_else_as_its_policy_is_refused(
    server: RunningServer, client: GrpcClient, invoke: Invoke, returned: object
) -> None:
    """A falsy value is no ``None``: it is refused, not read as "the client's policy"."""

    class Confused(ScriptedRequest):
        def retry_policy(self) -> RetryPolicy:
            return returned  # type: ignore[return-value]

    with pytest.raises(
        InvalidGrpcRequest, match=r"Confused\.retry_policy\(\) must return a RetryPolicy"
    ):
        await invoke(client, Confused("1"))

    assert server.service.received == []


async def test_grpc_cores_own_retry_policy_cannot_multiply_attempts(
    server: RunningServer, invoke: Invoke
) -> None:
    core_retries = {
        "methodConfig": [
            {
                "name": [{"service": "user.UserService"}],
                "retryPolicy": {
                    "maxAttempts": 5,
                    "initialBackoff": "0.01s",
                    "maxBackoff": "0.01s",
                    "backoffMultiplier": 1,
                    "retryableStatusCodes": ["UNAVAILABLE"],
                },
            }
        ]
    }
    options = {"grpc.service_config": json.dumps(core_retries)}
    with GrpcClient(server.target, options=options, retry=RetryPolicy.disabled()) as client:
        response = await invoke(client, ScriptedRequest("fail-3-UNAVAILABLE"))

    assert response.status_code() is grpc.StatusCode.UNAVAILABLE
    assert len(server.service.received) == 1


def test_turning_grpc_core_retries_back_on_is_refused() -> None:
    with pytest.raises(InvalidGrpcClientSettings, match="retries happen in RetryPolicy only"):
        GrpcClient("localhost:50051", options={"grpc.enable_retries": 1})


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        ({"max_attempts": 0}, "max_attempts"),
        ({"max_attempts": 2.5}, "max_attempts"),
        ({"initial_backoff": -1}, "initial_backoff"),
        ({"max_backoff": float("inf")}, "max_backoff"),
        ({"multiplier": 0.5}, "multiplier"),
        ({"retryable_codes": {"UNAVAILABLE"}}, "retryable_codes"),
        ({"retryable_codes": frozenset({grpc.StatusCode.OK})}, "OK is a success"),
        ({"attempt_timeout": 0}, "attempt_timeout"),
    ],
)
def test_an_unusable_policy_fails_at_construction(arguments: dict[str, object], says: str) -> None:
    with pytest.raises(InvalidGrpcClientSettings, match=says):
        RetryPolicy(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize("field", ["initial_backoff", "jitter", "attempt_timeout"])
def test_a_bool_is_never_taken_for_seconds(field: str) -> None:
    with pytest.raises(InvalidGrpcClientSettings, match=field):
        RetryPolicy(**{field: True})  # type: ignore[arg-type]
