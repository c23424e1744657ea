"""``FakeGrpcClient.reset()``: one fake, several scenarios, nothing of one leaking into the next."""

from collections.abc import Iterator

import grpc
import pytest

from grpc_request_client import BulkheadPolicy, CircuitBreakerPolicy, GrpcClientClosed
from grpc_request_client.testing import FakeGrpcClient
from protos import storage_pb2, user_pb2
from tests.conftest import Invoke
from tests.Support.DownloadRequest import DownloadRequest
from tests.Support.ScriptedRequest import ScriptedRequest
from tests.Support.StreamSide import StreamSide

USERS, STORAGE = "user.UserService", "storage.ObjectStorage"


@pytest.fixture(params=["sync", "async"])
def side(request: pytest.FixtureRequest) -> Iterator[StreamSide]:
    stream_side = StreamSide(request.param)
    yield stream_side
    stream_side.shutdown()


async def test_after_a_reset_nothing_is_scripted_and_nothing_recorded(
    fake_grpc_client: FakeGrpcClient, invoke: Invoke
) -> None:
    fake_grpc_client.reply(USERS, "GetUser", user_pb2.User(name="first scenario"))
    await invoke(fake_grpc_client, ScriptedRequest("1"))

    fake_grpc_client.reset()
    unscripted = await invoke(fake_grpc_client, ScriptedRequest("2"))

    assert unscripted.status_code() is grpc.StatusCode.UNIMPLEMENTED
    assert unscripted.details() == (
        "FakeGrpcClient has no answer for /user.UserService/GetUser; scripted: nothing"
    )
    [call] = fake_grpc_client.calls
    assert (call.message.user_id, call.attempt) == ("2", 1)


async def test_the_next_scenario_scripts_and_records_as_a_new_fake_would(
    fake_grpc_client: FakeGrpcClient, invoke: Invoke
) -> None:
    fake_grpc_client.fail(USERS, "GetUser", grpc.StatusCode.NOT_FOUND, "first scenario")
    fake_grpc_client.reply(USERS, "GetUser", user_pb2.User(name="never reached"))
    await invoke(fake_grpc_client, ScriptedRequest("1"))

    fake_grpc_client.reset()
    fake_grpc_client.reply(USERS, "GetUser", user_pb2.User(name="second scenario"))
    answered = await invoke(fake_grpc_client, ScriptedRequest("2"))

    assert answered.message().name == "second scenario"
    assert [call.message.user_id for call in fake_grpc_client.calls_to(USERS, "GetUser")] == ["2"]


async def test_a_circuit_the_last_scenario_opened_is_closed_again(invoke: Invoke) -> None:
    internal = frozenset({grpc.StatusCode.INTERNAL})
    breaker = CircuitBreakerPolicy(
        minimum_calls=2, window_size=2, reset_timeout=60, failure_codes=internal
    )
    with FakeGrpcClient(circuit_breaker=breaker) as fake:
        fake.fail(USERS, "GetUser", grpc.StatusCode.INTERNAL, "down")
        for _ in range(2):
            await invoke(fake, ScriptedRequest("1"))
        refused = await invoke(fake, ScriptedRequest("1"))

        fake.reset()
        fake.reply(USERS, "GetUser", user_pb2.User(name="up"))
        after = await invoke(fake, ScriptedRequest("2"))

    assert (refused.attempts(), refused.details().startswith("circuit open")) == (0, True)
    assert after.message().name == "up"
    assert len(fake.calls) == 1


async def test_a_stream_open_across_a_reset_keeps_its_answer_and_leaves_no_record(
    fake_grpc_client: FakeGrpcClient, side: StreamSide
) -> None:
    chunks = [storage_pb2.ObjectChunk(offset=offset) for offset in (0, 8)]
    fake_grpc_client.reply_stream(STORAGE, "DownloadObject", chunks)
    stream = await side.open(fake_grpc_client, DownloadRequest(chunks=2))
    first = await side.read(stream)

    fake_grpc_client.reset()
    rest = await side.read_all(stream)

    assert [chunk.offset for chunk in [first, *rest]] == [0, 8]
    assert stream.status_code() is grpc.StatusCode.OK
    assert fake_grpc_client.calls == ()


async def test_what_belongs_to_the_client_stays(invoke: Invoke) -> None:
    one_slot = BulkheadPolicy(max_in_flight=1, wait=False)
    with FakeGrpcClient("users:7000", default_timeout=4.0, bulkhead=one_slot) as fake:
        fake.reply_stream(STORAGE, "DownloadObject", [storage_pb2.ObjectChunk()])
        holding = fake.stream_async(DownloadRequest(chunks=1))
        await holding.__aenter__()

        fake.reset()
        fake.reply(USERS, "GetUser", user_pb2.User(name="refused"))
        refused = await invoke(fake, ScriptedRequest("1"))
        await holding.aclose()
        answered = await invoke(fake, ScriptedRequest("2"))

    assert (fake.settings.target, fake.settings.default_timeout) == ("users:7000", 4.0)
    assert refused.status_code() is grpc.StatusCode.RESOURCE_EXHAUSTED  # the slot is still held
    assert answered.message().name == "refused"
    fake.reset()
    with pytest.raises(GrpcClientClosed):
        await invoke(fake, ScriptedRequest("3"))
