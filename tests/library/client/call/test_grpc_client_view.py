"""``GrpcCallStage.attached``: once per client, a read-only view of its breaker and bulkhead."""

import grpc
import pytest

from grpc_request_client import (
    ChannelRegistry,
    CircuitBreakerPolicy,
    GrpcCallStage,
    GrpcClient,
    GrpcClientView,
    GrpcInvocation,
    RetryPolicy,
)
from grpc_request_client.testing import FakeGrpcClient, RecordedCall
from protos import user_pb2
from tests.conftest import Invoke
from tests.Support.RefusedPort import RefusedPort
from tests.Support.ScriptedRequest import ScriptedRequest

SERVICE, METHOD = "user.UserService", "GetUser"


class Attaching(GrpcCallStage[None]):
    """Keeps every view it is handed, in order."""

    def __init__(self) -> None:
        self.views: list[GrpcClientView] = []

    def attached(self, view: GrpcClientView) -> None:
        self.views.append(view)

    def start(self, invocation: GrpcInvocation) -> None:
        return None


class RefusingToAttach(Attaching):
    def attached(self, view: GrpcClientView) -> None:
        super().attached(view)
        raise RuntimeError("a bug in attached")


def test_each_client_built_with_the_stage_hands_it_one_view_of_its_own() -> None:
    stage = Attaching()
    first = FakeGrpcClient("first:50051", stages=[stage])
    second = FakeGrpcClient("second:50051", stages=[stage, Attaching()])
    first.reply(SERVICE, METHOD, user_pb2.User(id="1"))

    first.call(ScriptedRequest("1"))

    assert [view.target for view in stage.views] == ["first:50051", "second:50051"]
    assert repr(stage.views[0]) == "<GrpcClientView first:50051>"
    first.close()
    second.close()


def test_the_view_reads_the_breaker_state_or_none_when_it_is_disabled() -> None:
    with_breaker, without = Attaching(), Attaching()
    FakeGrpcClient(stages=[with_breaker])
    FakeGrpcClient(stages=[without], circuit_breaker=CircuitBreakerPolicy.disabled())

    assert with_breaker.views[0].breaker_state() == "closed"
    assert without.views[0].breaker_state() is None


async def test_the_view_reads_an_open_circuit(invoke: Invoke) -> None:
    stage = Attaching()
    tripping = CircuitBreakerPolicy(minimum_calls=1, window_size=1, reset_timeout=60)
    fake = FakeGrpcClient(
        stages=[stage], circuit_breaker=tripping, retry=RetryPolicy(max_attempts=1)
    )
    fake.fail(SERVICE, METHOD, grpc.StatusCode.UNAVAILABLE)

    await invoke(fake, ScriptedRequest("1"))

    assert stage.views[0].breaker_state() == "open"


async def test_the_view_counts_the_calls_in_flight_through_the_bulkhead(invoke: Invoke) -> None:
    stage = Attaching()
    fake = FakeGrpcClient(stages=[stage])
    seen: list[int] = []

    def answer(call: RecordedCall) -> user_pb2.User:
        seen.append(stage.views[0].bulkhead_in_flight())
        return user_pb2.User(id="1")

    fake.handle(SERVICE, METHOD, answer)
    await invoke(fake, ScriptedRequest("1"))

    assert seen == [1]
    assert stage.views[0].bulkhead_in_flight() == 0


@pytest.mark.parametrize("kind", ["real", "fake"])
def test_the_view_of_a_closed_client_says_so(kind: str) -> None:
    stage = Attaching()
    client = (
        GrpcClient(RefusedPort.target(), stages=[stage])
        if kind == "real"
        else FakeGrpcClient(stages=[stage])
    )
    [view] = stage.views
    assert not view.closed

    client.close()

    assert view.closed
    assert repr(view).endswith(" closed>")


def test_a_stage_whose_attached_raises_closes_the_client_it_was_given_to() -> None:
    stage = RefusingToAttach()
    registry = ChannelRegistry(linger=0)

    with pytest.raises(RuntimeError, match="a bug in attached"):
        GrpcClient(RefusedPort.target(), channel_registry=registry, stages=[stage])

    assert registry.open_channels() == 0
    assert stage.views[0].closed
