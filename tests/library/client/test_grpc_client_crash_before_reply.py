"""A write the server committed before it was SIGKILLed, so its reply never left (issue 8).

The client sees UNAVAILABLE, the same code as for a server it never reached.
A request that is not idempotent must not be sent again: the restarted
process, or the other replica, would write it a second time. Idempotent ones
keep their retries. Each backend is a real process (``CommittingBackend``)
writing to one sqlite ledger.
"""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import grpc
import pytest

from grpc_request_client import BaseGrpcRequest, CircuitBreakerPolicy, GrpcClient, RetryPolicy
from protos.user_pb2 import CreateUserRequest
from tests.conftest import Invoke
from tests.Support.CommittingBackend import CommittingBackend

# Enough attempts and backoff to outlast grpc's first reconnect backoff (1 s), so the
# old rule (UNAVAILABLE retried for any request) does reach the restarted backend.
RETRY = RetryPolicy(max_attempts=8, initial_backoff=0.2, max_backoff=1.0, jitter=0.05)

Backends = Callable[[Path], AbstractContextManager[tuple[str, str | None]]]


class CreateUser(BaseGrpcRequest):
    def __init__(self, *, idempotent: bool) -> None:
        self._idempotent = idempotent

    def service_name(self) -> str:
        return "user.UserService"

    def method_name(self) -> str:
        return "CreateUser"

    def message(self) -> CreateUserRequest:
        return CreateUserRequest(name="ada", email="ada@example.com")

    def idempotent(self) -> bool:
        return self._idempotent


@contextmanager
def _restarted_on_the_same_port(ledger: Path) -> Iterator[tuple[str, str | None]]:
    """One backend; the moment it dies, a fresh process binds its port."""
    first = CommittingBackend(ledger, die_first=1)
    stand_in = first.restart_after_death()
    try:
        first.serve()
        yield first.address, None
    finally:
        first.stop()
        stand_in.stop()


@contextmanager
def _two_replicas(ledger: Path) -> Iterator[tuple[str, str | None]]:
    """``ipv4:a,b`` under round_robin: whichever takes the first call dies, the other lives."""
    replicas = [CommittingBackend(ledger, die_first=1) for _ in range(2)]
    try:
        for replica in replicas:
            replica.serve()
        yield "ipv4:" + ",".join(replica.address for replica in replicas), "round_robin"
    finally:
        for replica in replicas:
            replica.stop()


@pytest.fixture(
    params=[_restarted_on_the_same_port, _two_replicas], ids=["restarted", "round_robin"]
)
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GrpcClient]:
    backends: Backends = request.param
    with backends(tmp_path / "ledger.sqlite") as (target, balancing):
        grpc_client = GrpcClient(
            target,
            default_timeout=15.0,
            retry=RETRY,
            circuit_breaker=CircuitBreakerPolicy.disabled(),
            load_balancing=balancing,
            sent_ids=["request_id"],  # the ledger's key
        )
        yield grpc_client
        grpc_client.close()


async def test_a_write_that_is_not_idempotent_is_not_sent_again_after_its_server_crashed(
    client: GrpcClient, tmp_path: Path, invoke: Invoke
) -> None:
    response = await invoke(client, CreateUser(idempotent=False))

    rows = CommittingBackend.rows(tmp_path / "ledger.sqlite")
    assert len(rows) == 1, "the crashed attempt wrote; nothing may write again"
    assert len(rows[0][0]) == 32  # the call's request-id reached the server
    assert response.status_code() is grpc.StatusCode.UNAVAILABLE
    assert response.attempts() == 1


async def test_an_idempotent_write_is_retried_until_a_backend_answers(
    client: GrpcClient, tmp_path: Path, invoke: Invoke
) -> None:
    response = await invoke(client, CreateUser(idempotent=True))

    rows = CommittingBackend.rows(tmp_path / "ledger.sqlite")
    assert response.is_success()
    assert response.attempts() >= 2
    assert len(rows) == 2  # allowed: the request said it may be sent twice
    [(first_id, crashed), (second_id, answered)] = rows
    assert first_id == second_id == response.message().id  # one request id for every attempt
    assert crashed != answered
