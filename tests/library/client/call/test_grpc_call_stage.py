"""Stages around every call and attempt: the same behaviour on call() and call_async(),
against a real server and on FakeGrpcClient."""

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from structlog.testing import capture_logs

from grpc_request_client import (
    BulkheadPolicy,
    ChannelRegistry,
    CircuitBreakerPolicy,
    GrpcCallStage,
    GrpcClient,
    GrpcClientSettings,
    GrpcInvocation,
    GrpcResponse,
    InvalidGrpcClientSettings,
    InvalidGrpcMetadata,
    InvalidGrpcRequest,
    InvalidGrpcResponse,
    RequestContext,
    RetryPolicy,
)
from grpc_request_client.metadata import MetadataPairs
from grpc_request_client.testing import FakeGrpcClient
from protos import user_pb2
from tests.conftest import Invoke
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest

SERVICE, METHOD = "user.UserService", "GetUser"
RETRY = RetryPolicy(max_attempts=3, initial_backoff=0.01, max_backoff=0.01, jitter=0.0)


class Recording(GrpcCallStage[str]):
    """Writes every hook it hears into a shared journal, under its own name."""

    def __init__(self, name: str, journal: list[tuple[Any, ...]]) -> None:
        self.name = name
        self.journal = journal

    def start(self, invocation: GrpcInvocation) -> str:
        self.journal.append((self.name, "start"))
        return f"{self.name}-state"

    def attempt_started(self, state: str, number: int, seconds: float) -> None:
        self.journal.append((self.name, "attempt", number, state))

    def attempt_ended(
        self, state: str, number: int, response: GrpcResponse, backoff: float | None
    ) -> None:
        self.journal.append((self.name, "ended", number, response.status_code().name, backoff))

    def finished(
        self, state: str, invocation: GrpcInvocation, response: GrpcResponse
    ) -> GrpcResponse:
        self.journal.append((self.name, "finished", state))
        return response

    def abandoned(self, state: str, invocation: GrpcInvocation, error: BaseException) -> None:
        self.journal.append((self.name, "abandoned", type(error).__name__))


class Propagating(GrpcCallStage[None]):
    def start(self, invocation: GrpcInvocation) -> None:
        return None

    def metadata(self, state: None, metadata: MetadataPairs) -> MetadataPairs:
        return (
            *metadata,
            ("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
        )


class Caching(GrpcCallStage[None]):
    def start(self, invocation: GrpcInvocation) -> None:
        return None

    def answer(self, state: None, invocation: GrpcInvocation) -> GrpcResponse | None:
        return GrpcResponse(grpc.StatusCode.OK, user_pb2.User(id="cached"), attempts=0)


class Replacing(GrpcCallStage[None]):
    def start(self, invocation: GrpcInvocation) -> None:
        return None

    def finished(
        self, state: None, invocation: GrpcInvocation, response: GrpcResponse
    ) -> GrpcResponse:
        return GrpcResponse(grpc.StatusCode.OK, user_pb2.User(id="replaced"))


class Backend:
    """A real server or FakeGrpcClient's script, behind one way of asking what was sent."""

    def __init__(self, kind: str, server: RunningServer | None) -> None:
        self.kind = kind
        self.server = server
        self.fakes: list[FakeGrpcClient] = []

    def client(self, stages: list[GrpcCallStage[Any]], **options: Any) -> GrpcClient:
        if self.server is not None:
            return GrpcClient(self.server.target, stages=stages, default_timeout=10.0, **options)
        fake = FakeGrpcClient(stages=stages, **options)
        fake.unreachable(SERVICE, METHOD)
        fake.unreachable(SERVICE, METHOD)
        fake.reply(SERVICE, METHOD, user_pb2.User(id="1"))
        self.fakes.append(fake)
        return fake

    def flaky(self) -> ScriptedRequest:
        """Fails twice with UNAVAILABLE, then succeeds (a fake starts every client so)."""
        user_id = "fail-2-UNAVAILABLE" if self.server is not None else "1"
        return ScriptedRequest(user_id, idempotent=True)

    def sent(self) -> list[dict[str, str | bytes]]:
        if self.server is not None:
            return self.server.service.received
        return [dict(call.metadata) for fake in self.fakes for call in fake.calls]


@pytest.fixture(params=["server", "fake"])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    if request.param == "fake":
        yield Backend("fake", None)
        return
    with RunningServer.start() as server:
        yield Backend("server", server)


def _succeeding(backend: Backend, client: GrpcClient) -> ScriptedRequest:
    """A request the backend answers at once."""
    if isinstance(client, FakeGrpcClient):
        client.reply(SERVICE, "CreateUser", user_pb2.User(id="1"))
        return ScriptedRequest(method="CreateUser", message=user_pb2.CreateUserRequest(name="1"))
    return ScriptedRequest("1")


async def test_stages_start_in_order_and_finish_in_reverse(
    backend: Backend, invoke: Invoke
) -> None:
    journal: list[tuple[Any, ...]] = []
    client = backend.client([Recording("outer", journal), Recording("inner", journal)])

    response = await invoke(client, _succeeding(backend, client))

    assert response.is_success()
    assert journal == [
        ("outer", "start"),
        ("inner", "start"),
        ("outer", "attempt", 1, "outer-state"),
        ("inner", "attempt", 1, "inner-state"),
        ("outer", "ended", 1, "OK", None),
        ("inner", "ended", 1, "OK", None),
        ("inner", "finished", "inner-state"),
        ("outer", "finished", "outer-state"),
    ]


async def test_metadata_a_stage_adds_reaches_the_server(backend: Backend, invoke: Invoke) -> None:
    client = backend.client([Propagating()])

    with RequestContext.scope(trace_id="trace-stage-0001"):
        await invoke(client, _succeeding(backend, client))

    [sent] = backend.sent()
    assert sent["traceparent"].startswith("00-0af7651916cd43dd")
    assert sent["x-trace-id"] == "trace-stage-0001"


async def test_metadata_a_stage_returns_is_checked_as_a_requests_own(
    backend: Backend, invoke: Invoke
) -> None:
    class Uppercase(Propagating):
        def metadata(self, state: None, metadata: MetadataPairs) -> MetadataPairs:
            return (("Bad-Key", "x"),)

    client = backend.client([Uppercase()], bulkhead=BulkheadPolicy(max_in_flight=1, wait=False))

    with pytest.raises(InvalidGrpcMetadata, match="lowercase"):
        await invoke(client, _succeeding(backend, client))
    assert backend.sent() == []


async def test_an_answering_stage_sends_nothing_and_skips_bulkhead_and_breaker(
    backend: Backend, invoke: Invoke
) -> None:
    journal: list[tuple[Any, ...]] = []
    client = backend.client(
        [Caching(), Recording("inner", journal)],
        bulkhead=BulkheadPolicy(max_in_flight=1, wait=False),
    )
    client._bulkhead.try_enter()  # the only slot is taken: a call that needed it would be refused

    response = await invoke(client, _succeeding(backend, client))

    assert response.message() == user_pb2.User(id="cached")
    assert response.attempts() == 0
    assert backend.sent() == []
    assert journal == []  # a stage inside the one that answered is never started


async def test_a_stage_may_replace_the_final_response(backend: Backend, invoke: Invoke) -> None:
    client = backend.client([Replacing()])

    response = await invoke(client, _succeeding(backend, client))

    assert response.message() == user_pb2.User(id="replaced")


async def test_each_attempt_of_a_retried_call_is_seen_with_its_number_and_backoff(
    backend: Backend, invoke: Invoke
) -> None:
    journal: list[tuple[Any, ...]] = []
    client = backend.client([Recording("watch", journal)], retry=RETRY)

    response = await invoke(client, backend.flaky())

    assert response.is_success()
    assert response.attempts() == 3
    assert [entry[1:] for entry in journal if entry[1] in ("attempt", "ended")] == [
        ("attempt", 1, "watch-state"),
        ("ended", 1, "UNAVAILABLE", 0.01),
        ("attempt", 2, "watch-state"),
        ("ended", 2, "UNAVAILABLE", 0.01),
        ("attempt", 3, "watch-state"),
        ("ended", 3, "OK", None),
    ]


@pytest.mark.parametrize("hook", ["start", "attempt_started", "finished"])
async def test_a_raising_stage_propagates_after_giving_the_bulkhead_slot_back(
    backend: Backend, invoke: Invoke, hook: str
) -> None:
    journal: list[tuple[Any, ...]] = []
    client = backend.client(
        [Recording("outer", journal), RecordingExploder(hook, journal)],
        bulkhead=BulkheadPolicy(max_in_flight=1, wait=False),
    )

    with pytest.raises(RuntimeError, match=f"a bug in {hook}"):
        await invoke(client, _succeeding(backend, client))

    assert journal[-1] == ("outer", "abandoned", "RuntimeError")
    assert client._bulkhead.try_enter()  # the slot the call took was given back
    client._bulkhead.leave()


async def test_a_raising_stage_settles_the_breaker_permit_with_no_outcome(
    backend: Backend, invoke: Invoke
) -> None:
    policy = CircuitBreakerPolicy(minimum_calls=1, window_size=1, half_open_calls=1)
    client = backend.client([RecordingExploder("attempt_started", [])], circuit_breaker=policy)
    breaker = client._engine._breaker
    assert breaker is not None
    key = client.settings.target
    breaker._circuit(key)._enter("half_open")  # one trial call: a leaked permit would keep it

    with pytest.raises(RuntimeError):
        await invoke(client, _succeeding(backend, client))

    assert breaker.admit(key) is not None  # the trial's place was given back


def test_stages_must_be_grpc_call_stages() -> None:
    with pytest.raises(InvalidGrpcClientSettings, match="GrpcCallStage"):
        FakeGrpcClient(stages=[object()])  # type: ignore[list-item]


def test_from_settings_takes_stages_too() -> None:
    journal: list[tuple[Any, ...]] = []
    settings = GrpcClientSettings.create("fake:50051")
    fake = FakeGrpcClient.from_settings(settings, stages=[Recording("only", journal)])
    fake.reply(SERVICE, METHOD, user_pb2.User(id="1"))

    assert fake.call(ScriptedRequest("1")).is_success()
    assert journal[0] == ("only", "start")


async def test_a_cancelled_call_is_abandoned_for_every_stage_and_frees_its_slot(
    server: RunningServer,
) -> None:
    """Only ``call_async`` can be cancelled from outside: the stages hear it as the error."""
    journal: list[tuple[Any, ...]] = []
    stages: list[GrpcCallStage[Any]] = [Recording("outer", journal), Recording("inner", journal)]
    bulkhead = BulkheadPolicy(max_in_flight=1, wait=False)
    with GrpcClient(server.target, stages=stages, bulkhead=bulkhead) as client:
        task = asyncio.ensure_future(client.call_async(ScriptedRequest("slow")))
        await asyncio.to_thread(server.wait_until_received, 1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

        assert journal[-2:] == [
            ("inner", "abandoned", "CancelledError"),
            ("outer", "abandoned", "CancelledError"),
        ]
        assert client._bulkhead.try_enter()
        client._bulkhead.leave()


class Misanswering(GrpcCallStage[None]):
    def __init__(self, hook: str) -> None:
        self.hook = hook

    def start(self, invocation: GrpcInvocation) -> None:
        return None

    def answer(self, state: None, invocation: GrpcInvocation) -> GrpcResponse | None:
        return {"id": "1"} if self.hook == "answer" else None  # type: ignore[return-value]

    def finished(
        self, state: None, invocation: GrpcInvocation, response: GrpcResponse
    ) -> GrpcResponse:
        return "done" if self.hook == "finished" else response  # type: ignore[return-value]


@pytest.mark.parametrize(("hook", "got"), [("answer", "dict"), ("finished", "str")])
async def test_a_stage_hook_that_returns_no_response_is_named_and_frees_the_slot(
    backend: Backend, invoke: Invoke, hook: str, got: str
) -> None:
    client = backend.client(
        [Misanswering(hook)], bulkhead=BulkheadPolicy(max_in_flight=1, wait=False)
    )

    with pytest.raises(
        InvalidGrpcResponse,
        match=rf"Misanswering\.{hook}\(\) must return a GrpcResponse, got a {got}",
    ):
        await invoke(client, _succeeding(backend, client))
    assert client._bulkhead.try_enter()  # the one slot is free again
    assert len(backend.sent()) == (0 if hook == "answer" else 1)


class RecordingExploder(Recording):
    """A Recording that raises in one hook, so what it hears afterwards shows."""

    def __init__(self, hook: str, journal: list[tuple[Any, ...]]) -> None:
        super().__init__("raiser", journal)
        self.hook = hook

    def start(self, invocation: GrpcInvocation) -> str:
        state = super().start(invocation)
        self._maybe("start")
        return state

    def metadata(self, state: str, metadata: MetadataPairs) -> MetadataPairs:
        self._maybe("metadata")
        return metadata

    def attempt_started(self, state: str, number: int, seconds: float) -> None:
        self._maybe("attempt_started")

    def finished(
        self, state: str, invocation: GrpcInvocation, response: GrpcResponse
    ) -> GrpcResponse:
        self._maybe("finished")
        return response

    def _maybe(self, hook: str) -> None:
        if hook == self.hook:
            raise RuntimeError(f"a bug in {hook}")


@pytest.mark.parametrize(
    ("hook", "told"),
    [
        ("start", ["outer"]),
        ("metadata", ["raiser", "outer"]),
        ("attempt_started", ["inner", "raiser", "outer"]),
        ("finished", ["outer"]),
    ],
)
async def test_abandoned_goes_to_every_stage_whose_start_returned_and_finished_was_not_called(
    backend: Backend, invoke: Invoke, hook: str, told: list[str]
) -> None:
    journal: list[tuple[Any, ...]] = []
    stages: list[GrpcCallStage[Any]] = [
        Recording("outer", journal),
        RecordingExploder(hook, journal),
        Recording("inner", journal),
    ]
    client = backend.client(stages)

    with pytest.raises(RuntimeError, match=f"a bug in {hook}"):
        await invoke(client, _succeeding(backend, client))

    assert [entry[0] for entry in journal if entry[1] == "abandoned"] == told


@dataclass
class HashlessStage(GrpcCallStage[None]):
    """A dataclass: ``__hash__`` is None, and equal instances are still two stages."""

    journal: list[str]

    def start(self, invocation: GrpcInvocation) -> None:
        return None

    def finished(
        self, state: None, invocation: GrpcInvocation, response: GrpcResponse
    ) -> GrpcResponse:
        self.journal.append("finished")
        return response


async def test_a_stage_need_not_be_hashable_and_equal_stages_both_run(
    backend: Backend, invoke: Invoke
) -> None:
    journal: list[str] = []
    client = backend.client([HashlessStage(journal), HashlessStage(journal)])

    response = await invoke(client, _succeeding(backend, client))

    assert response.is_success()
    assert journal == ["finished", "finished"]


class Rewriting(GrpcCallStage[None]):
    def __init__(self, pairs: object) -> None:
        self.pairs = pairs

    def start(self, invocation: GrpcInvocation) -> None:
        return None

    def metadata(self, state: None, metadata: MetadataPairs) -> MetadataPairs:
        return self.pairs  # type: ignore[return-value]


async def test_a_stage_may_give_its_metadata_as_a_request_does_a_mapping_whose_none_drops(
    backend: Backend, invoke: Invoke
) -> None:
    client = backend.client(
        [Rewriting({"x-trace-id": "trace-from-stage-1", "x-extra": "1", "x-gone": None})]
    )

    with capture_logs() as logs:
        response = await invoke(client, _succeeding(backend, client))

    assert response.is_success()
    sent = backend.sent()[-1]
    assert sent["x-trace-id"] == "trace-from-stage-1"
    assert "x-gone" not in sent
    assert [log["trace_id"] for log in logs] == ["trace-from-stage-1"]  # the id that was sent
    assert [log["request_id"] for log in logs] == [""]  # the stage dropped it


@pytest.mark.parametrize(
    ("pairs", "error"),
    [
        pytest.param(["ab"], InvalidGrpcRequest, id="letters"),
        pytest.param("ab", InvalidGrpcRequest, id="str"),
        pytest.param([("x-a", 1)], InvalidGrpcMetadata, id="int-value"),
    ],
)
async def test_a_stage_s_metadata_that_is_not_pairs_is_refused_unsent(
    backend: Backend, invoke: Invoke, pairs: object, error: type[Exception]
) -> None:
    client = backend.client([Rewriting(pairs)])

    with pytest.raises(error):
        await invoke(client, _succeeding(backend, client))
    assert backend.sent() == []


def test_a_client_whose_stages_are_refused_gives_its_shared_channel_back() -> None:
    registry = ChannelRegistry(linger=0)

    with pytest.raises(InvalidGrpcClientSettings, match="GrpcCallStage"):
        GrpcClient("127.0.0.1:1", channel_registry=registry, stages=[object()])  # type: ignore[list-item]

    assert registry.open_channels() == 0
