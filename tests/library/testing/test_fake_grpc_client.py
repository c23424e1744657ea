import asyncio
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from grpc_health.v1.health_pb2 import HealthCheckResponse
from structlog.testing import capture_logs

from grpc_request_client import (
    BulkheadPolicy,
    ChannelRegistry,
    CircuitBreakerPolicy,
    GrpcClient,
    GrpcClientClosed,
    GrpcClientError,
    GrpcClientRegistry,
    GrpcClientSettings,
    GrpcRequest,
    GrpcResponse,
    HealthStatus,
    InvalidGrpcClientSettings,
    InvalidGrpcTimeout,
    RequestContext,
    RetryPolicy,
)
from grpc_request_client.testing import FakeGrpcClient, RecordedCall
from grpc_request_client.testing.fake import InstantClock
from protos import catalog_pb2, user_pb2
from tests.conftest import Invoke
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest
from tests.Support.SyncOrAsync import SyncOrAsync
from tests.Support.TcpConnections import TcpConnections

USERS = "user.UserService"


class IdempotentRequest(ScriptedRequest):
    def idempotent(self) -> bool:
        return True


@pytest.fixture(params=["sync", "async"])
def side(request: pytest.FixtureRequest) -> SyncOrAsync:
    return SyncOrAsync(request.param)


def test_it_is_a_grpc_client_built_from_the_same_settings() -> None:
    with FakeGrpcClient("users:50051", default_timeout=3.0, retry=RetryPolicy.disabled()) as fake:
        assert isinstance(fake, GrpcClient)
        assert fake.settings.target == "users:50051"
        assert fake.settings.default_timeout == 3.0
        assert fake.settings.retry == RetryPolicy.disabled()


@pytest.mark.parametrize(
    ("target", "options", "says"),
    [
        ("", {}, "target .. is not a grpc target"),
        ("fake:99999", {}, "has port .99999."),
        ("fake:1", {"default_timeout": 0}, "default_timeout must be a number of seconds"),
        ("fake:1", {"retry": "twice"}, "retry must be a RetryPolicy"),
    ],
)
def test_settings_it_could_never_use_raise_as_in_the_real_client(
    target: str, options: dict[str, object], says: str
) -> None:
    with pytest.raises(InvalidGrpcClientSettings, match=says):
        FakeGrpcClient(target, **options)  # type: ignore[arg-type]


async def test_it_never_reaches_a_server_even_at_a_real_address(
    server: RunningServer, invoke: Invoke
) -> None:
    with FakeGrpcClient(server.target) as fake:
        response = await invoke(fake, ScriptedRequest("7"))

        assert TcpConnections.to(server.port) == frozenset()
    assert response.status_code() is grpc.StatusCode.UNIMPLEMENTED
    assert server.service.received == []


async def test_a_reply_is_the_success_a_server_would_send(
    fake_grpc_client: FakeGrpcClient, invoke: Invoke
) -> None:
    fake_grpc_client.reply(
        USERS,
        "GetUser",
        user_pb2.User(id="7", name="Ada"),
        initial_metadata={"x-initial": "i1"},
        trailing_metadata=[("x-rep", "a"), ("x-rep", "b"), ("x-blob-bin", b"\x00")],
    )

    response = await invoke(fake_grpc_client, ScriptedRequest("7"))

    assert response.is_success()
    assert (response.status_code(), response.details()) == (grpc.StatusCode.OK, "")
    assert response.message() == user_pb2.User(id="7", name="Ada")
    assert response.attempts() == 1
    assert response.initial_metadata()["x-initial"] == "i1"
    assert response.trailing_metadata().get_all("x-rep") == ("a", "b")
    assert response.metadata()["x-blob-bin"] == b"\x00"


async def test_each_call_decodes_its_own_reply(
    fake_grpc_client: FakeGrpcClient, invoke: Invoke
) -> None:
    scripted = user_pb2.User(id="7", name="Ada")
    fake_grpc_client.reply(USERS, "GetUser", scripted)

    first = (await invoke(fake_grpc_client, ScriptedRequest("7"))).message()
    first.name = "changed by the code under test"
    second = (await invoke(fake_grpc_client, ScriptedRequest("7"))).message()

    assert (second.name, scripted.name) == ("Ada", "Ada")


async def test_a_failure_is_a_response_with_code_details_and_metadata(
    fake_grpc_client: FakeGrpcClient, invoke: Invoke
) -> None:
    fake_grpc_client.fail(
        USERS,
        "GetUser",
        grpc.StatusCode.NOT_FOUND,
        "user 9 not found",
        trailing_metadata={"x-error-code": "U404"},
    )

    response = await invoke(fake_grpc_client, ScriptedRequest("9"))

    assert not response.is_success()
    assert response.status_code() is grpc.StatusCode.NOT_FOUND
    assert (response.details(), response.message()) == ("user 9 not found", None)
    assert response.trailing_metadata()["x-error-code"] == "U404"


async def test_a_handler_answers_from_what_was_sent(
    fake_grpc_client: FakeGrpcClient, invoke: Invoke
) -> None:
    fake_grpc_client.handle(
        USERS,
        "GetUser",
        lambda call: user_pb2.User(id=call.message.user_id, name=str(call.metadata["x-tenant"])),
    )

    response = await invoke(fake_grpc_client, ScriptedRequest("5", metadata={"x-tenant": "acme"}))

    assert response.message() == user_pb2.User(id="5", name="acme")


async def test_a_handler_may_answer_with_a_whole_response(
    fake_grpc_client: FakeGrpcClient, invoke: Invoke
) -> None:
    def not_found(call: RecordedCall) -> GrpcResponse:
        return GrpcResponse(
            grpc.StatusCode.NOT_FOUND,
            details=f"user {call.message.user_id} not found",
            trailing_metadata=(("x-error-code", "U404"),),
            attempts=0,
        )

    fake_grpc_client.handle(USERS, "GetUser", not_found)
    response = await invoke(fake_grpc_client, ScriptedRequest("3"))

    assert (response.status_code(), response.details()) == (
        grpc.StatusCode.NOT_FOUND,
        "user 3 not found",
    )
    assert response.trailing_metadata()["x-error-code"] == "U404"
    assert response.attempts() == 1  # the fake counts what it answered, whatever the handler said


def test_an_exception_in_a_handler_reaches_the_test(fake_grpc_client: FakeGrpcClient) -> None:
    def broken(call: RecordedCall) -> user_pb2.User:
        raise KeyError("a bug in the test's own handler")

    fake_grpc_client.handle(USERS, "GetUser", broken)

    with pytest.raises(KeyError, match="a bug in the test's own handler"):
        fake_grpc_client.call(ScriptedRequest("1"))


async def test_a_retryable_failure_is_retried_by_the_policy_as_the_real_client_does(
    fake_grpc_client: FakeGrpcClient, invoke: Invoke
) -> None:
    fake_grpc_client.fail(USERS, "GetUser", grpc.StatusCode.UNAVAILABLE, "restarting")
    fake_grpc_client.reply(USERS, "GetUser", user_pb2.User(name="back"))

    with RequestContext.scope(trace_id="retried-trace-0001"):
        response = await invoke(fake_grpc_client, IdempotentRequest("1"))

    first, second = fake_grpc_client.calls
    assert response.message().name == "back"
    assert response.attempts() == 2
    assert (first.attempt, second.attempt) == (1, 2)
    assert {first.trace_id, second.trace_id} == {"retried-trace-0001"}
    assert second.timeout < first.timeout == 30.0  # the backoff spent part of the deadline


async def test_a_failure_that_persists_ends_after_the_policys_attempts(invoke: Invoke) -> None:
    with FakeGrpcClient(retry=RetryPolicy(max_attempts=4)) as fake:
        fake.fail(USERS, "GetUser", grpc.StatusCode.UNAVAILABLE, "down")
        response = await invoke(fake, IdempotentRequest("1"))

    assert (response.status_code(), response.details()) == (grpc.StatusCode.UNAVAILABLE, "down")
    assert response.attempts() == 4
    assert len(fake.calls) == 4


async def test_the_retries_stop_where_the_next_backoff_would_pass_the_deadline(
    invoke: Invoke,
) -> None:
    retry = RetryPolicy(max_attempts=10, initial_backoff=0.4, multiplier=1, jitter=0)
    with FakeGrpcClient(retry=retry) as fake:
        fake.fail(USERS, "GetUser", grpc.StatusCode.UNAVAILABLE)
        response = await invoke(fake, IdempotentRequest("1", timeout=1.0))

    assert response.attempts() == 3  # at 0, 0.4 and 0.8 s: waking at 1.2 s would be too late
    assert [round(call.timeout, 6) for call in fake.calls] == [1.0, 0.6, 0.2]


@pytest.mark.parametrize(
    ("details", "attempts"),
    [
        ("restarting", 1),
        ("failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:50051", 3),
    ],
    ids=["said-by-the-server", "grpc-could-not-connect"],
)
async def test_unavailable_is_retried_for_a_request_that_is_not_idempotent_only_if_never_sent(
    fake_grpc_client: FakeGrpcClient, invoke: Invoke, details: str, attempts: int
) -> None:
    fake_grpc_client.fail(USERS, "GetUser", grpc.StatusCode.UNAVAILABLE, details)

    response = await invoke(fake_grpc_client, ScriptedRequest("1"))

    assert response.attempts() == attempts


@pytest.mark.parametrize(
    ("request_", "attempts"),
    [(ScriptedRequest("1"), 1), (IdempotentRequest("1"), 3)],
    ids=["not-idempotent", "idempotent"],
)
async def test_an_ambiguous_failure_is_retried_only_for_an_idempotent_request(
    fake_grpc_client: FakeGrpcClient, invoke: Invoke, request_: GrpcRequest, attempts: int
) -> None:
    fake_grpc_client.fail(USERS, "GetUser", grpc.StatusCode.DEADLINE_EXCEEDED)

    response = await invoke(fake_grpc_client, request_)

    assert response.attempts() == attempts


async def test_with_retries_disabled_the_first_failure_is_the_answer(invoke: Invoke) -> None:
    with FakeGrpcClient(retry=RetryPolicy.disabled()) as fake:
        fake.fail(USERS, "GetUser", grpc.StatusCode.UNAVAILABLE)
        fake.reply(USERS, "GetUser", user_pb2.User())
        response = await invoke(fake, ScriptedRequest("1"))

    assert response.status_code() is grpc.StatusCode.UNAVAILABLE
    assert len(fake.calls) == 1


async def test_each_call_is_recorded_as_it_would_go_on_the_wire(
    fake_grpc_client: FakeGrpcClient, invoke: Invoke
) -> None:
    request = ScriptedRequest("7", metadata={"x-tenant": "acme", "x-optional": None}, timeout=2.5)

    with RequestContext.scope(
        trace_id="recorded-trace-0001", user_id="u-1", correlation_id="recorded-corr-01"
    ):
        await invoke(fake_grpc_client, request)

    [call] = fake_grpc_client.calls
    assert (call.service, call.method, call.path) == (USERS, "GetUser", "/user.UserService/GetUser")
    assert call.message == user_pb2.GetUserRequest(user_id="7")
    assert call.metadata.pairs() == (
        ("x-tenant", "acme"),
        ("x-trace-id", "recorded-trace-0001"),
        ("user-id", "u-1"),
        ("correlation-id", "recorded-corr-01"),
    )
    assert (call.timeout, call.trace_id, call.attempt) == (2.5, "recorded-trace-0001", 1)
    assert call.request is request


async def test_a_call_without_a_context_sends_no_id_unless_asked_to(invoke: Invoke) -> None:
    with (
        FakeGrpcClient(default_timeout=4.0) as fake,
        FakeGrpcClient(sent_ids=["request_id"]) as asked,
    ):
        await invoke(fake, ScriptedRequest("1"))
        await invoke(asked, ScriptedRequest("1"))
        await invoke(asked, ScriptedRequest("2"))

    [call] = fake.calls
    assert (call.metadata.pairs(), call.trace_id) == ((), "")
    assert call.timeout == 4.0  # the client's default_timeout
    first, second = (recorded.metadata["request-id"] for recorded in asked.calls)
    assert len(str(first)) == 32
    assert first != second


async def test_the_record_keeps_what_was_sent_when_the_message_changes_later(
    fake_grpc_client: FakeGrpcClient, invoke: Invoke
) -> None:
    message = user_pb2.GetUserRequest(user_id="7")

    await invoke(fake_grpc_client, ScriptedRequest(message=message))
    message.user_id = "changed after the call"

    assert fake_grpc_client.calls[0].message.user_id == "7"


async def test_calls_to_picks_one_methods_calls_in_order(
    fake_grpc_client: FakeGrpcClient, invoke: Invoke
) -> None:
    create = user_pb2.CreateUserRequest(name="ana")

    await invoke(fake_grpc_client, ScriptedRequest("1"))
    await invoke(fake_grpc_client, ScriptedRequest(method="CreateUser", message=create))
    await invoke(fake_grpc_client, ScriptedRequest("2"))

    assert [c.message.user_id for c in fake_grpc_client.calls_to(USERS, "GetUser")] == ["1", "2"]
    assert [c.message for c in fake_grpc_client.calls_to(USERS, "CreateUser")] == [create]
    assert fake_grpc_client.calls_to(USERS, "ListUsers") == ()
    assert len(fake_grpc_client.calls) == 3


def test_calls_from_many_threads_are_each_answered_and_recorded(
    fake_grpc_client: FakeGrpcClient,
) -> None:
    fake_grpc_client.handle(USERS, "GetUser", lambda call: user_pb2.User(id=call.message.user_id))

    with ThreadPoolExecutor(8) as pool:
        responses = list(
            pool.map(lambda n: fake_grpc_client.call(ScriptedRequest(str(n))), range(200))
        )

    assert [response.message().id for response in responses] == [str(n) for n in range(200)]
    assert sorted(int(call.message.user_id) for call in fake_grpc_client.calls) == list(range(200))


async def test_each_call_writes_the_real_clients_log_event_without_secrets(
    fake_grpc_client: FakeGrpcClient, invoke: Invoke
) -> None:
    fake_grpc_client.reply(USERS, "GetUser", user_pb2.User())
    fake_grpc_client.fail(USERS, "CreateUser", grpc.StatusCode.INTERNAL, "boom")
    create = ScriptedRequest(
        method="CreateUser",
        message=user_pb2.CreateUserRequest(name="ana"),
        metadata={"authorization": "Bearer sk-live-secret"},
    )

    with capture_logs() as logs, RequestContext.scope(trace_id="logged-trace-0001"):
        await invoke(fake_grpc_client, ScriptedRequest("1"))
        await invoke(fake_grpc_client, create)

    assert [(e["event"], e["method"], e["target"], e["trace_id"]) for e in logs] == [
        ("grpc.call.succeeded", "GetUser", "fake:50051", "logged-trace-0001"),
        ("grpc.call.failed", "CreateUser", "fake:50051", "logged-trace-0001"),
    ]
    assert "sk-live-secret" not in repr(logs)
    assert "sk-live-secret" not in repr(fake_grpc_client.calls)


async def test_health_checks_are_answered_from_the_script(
    fake_grpc_client: FakeGrpcClient, side: SyncOrAsync
) -> None:
    fake_grpc_client.reply(
        "grpc.health.v1.Health", "Check", HealthCheckResponse(status=HealthCheckResponse.SERVING)
    )

    result = await side.check_health(fake_grpc_client, "user.UserService", timeout=1.0)

    assert result.is_serving()
    assert fake_grpc_client.calls[0].message.service == "user.UserService"
    assert fake_grpc_client.calls[0].timeout == 1.0


async def test_an_unscripted_health_check_finds_no_health_service(
    fake_grpc_client: FakeGrpcClient, side: SyncOrAsync
) -> None:
    result = await side.check_health(fake_grpc_client)

    assert result.status is HealthStatus.UNIMPLEMENTED


async def test_it_is_ready_at_once(fake_grpc_client: FakeGrpcClient, side: SyncOrAsync) -> None:
    assert await side.wait_until_ready(fake_grpc_client, 0.5) is True


@pytest.mark.parametrize("timeout", [0, -1, math.nan, True, "1"])
async def test_a_bad_readiness_timeout_raises_as_in_the_real_client(
    fake_grpc_client: FakeGrpcClient, side: SyncOrAsync, timeout: object
) -> None:
    with pytest.raises(InvalidGrpcTimeout, match="timeout must be"):
        await side.wait_until_ready(fake_grpc_client, timeout)


async def test_a_closed_fake_refuses_everything_as_the_real_client_does(
    side: SyncOrAsync,
) -> None:
    fake = FakeGrpcClient("users:50051")
    fake.reply(USERS, "GetUser", user_pb2.User())
    fake.close()
    fake.close()

    with pytest.raises(GrpcClientClosed, match="client for users:50051 is closed"):
        await side.call(fake, ScriptedRequest("1"))
    with pytest.raises(GrpcClientClosed):
        await side.wait_until_ready(fake, 1.0)
    with pytest.raises(GrpcClientClosed):
        await side.check_health(fake)
    assert fake.calls == ()
    assert repr(fake) == "<FakeGrpcClient users:50051 closed>"


async def test_the_context_managers_close_it() -> None:
    with FakeGrpcClient() as fake:
        assert repr(fake) == "<FakeGrpcClient fake:50051 open>"
    async with FakeGrpcClient() as async_fake:
        pass

    assert repr(fake) == "<FakeGrpcClient fake:50051 closed>"
    with pytest.raises(GrpcClientClosed):
        await async_fake.call_async(ScriptedRequest("1"))


MISUSE = [
    pytest.param("user.UserService/GetUser", id="not-a-request"),
    pytest.param(ScriptedRequest(method="GetUsr"), id="unknown-method"),
    pytest.param(ScriptedRequest(service="nowhere.GhostService"), id="unknown-service"),
    pytest.param(ScriptedRequest(service="user service"), id="malformed-service"),
    pytest.param(ScriptedRequest(message=catalog_pb2.GetProductRequest()), id="wrong-message"),
    pytest.param(ScriptedRequest(message={"user_id": "1"}), id="not-a-message"),
    pytest.param(
        ScriptedRequest(method="ListUsers", message=user_pb2.ListUsersRequest()), id="streaming"
    ),
    pytest.param(ScriptedRequest(metadata={"X-Tenant": "a"}), id="uppercase-key"),
    pytest.param(ScriptedRequest(metadata={"grpc-timeout": "1"}), id="reserved-key"),
    pytest.param(ScriptedRequest(metadata={"x-blob": b"\x00"}), id="bytes-without-bin"),
    pytest.param(ScriptedRequest(metadata={"x-count": 3}), id="int-value"),
    pytest.param(ScriptedRequest(metadata=42), id="metadata-not-pairs"),
    pytest.param(ScriptedRequest(timeout=0), id="zero-timeout"),
    pytest.param(ScriptedRequest(timeout=math.inf), id="infinite-timeout"),
]


async def _refusal(invoke: Invoke, client: GrpcClient, request: object) -> tuple[type, str]:
    with pytest.raises(GrpcClientError) as raised:
        await invoke(client, request)  # type: ignore[arg-type]
    return type(raised.value), str(raised.value)


@pytest.mark.parametrize("request_", MISUSE)
async def test_the_fake_refuses_exactly_what_the_real_client_refuses(
    server: RunningServer, client: GrpcClient, invoke: Invoke, request_: object
) -> None:
    with FakeGrpcClient(server.target) as fake:
        fake.reply(USERS, "GetUser", user_pb2.User())
        refused_by_fake = await _refusal(invoke, fake, request_)

    assert refused_by_fake == await _refusal(invoke, client, request_)
    assert fake.calls == ()
    assert server.service.received == []


async def test_a_closed_fake_and_a_closed_client_refuse_alike(
    server: RunningServer, client: GrpcClient, invoke: Invoke
) -> None:
    fake = FakeGrpcClient(server.target)
    fake.close()
    client.close()

    assert await _refusal(invoke, fake, ScriptedRequest("1")) == await _refusal(
        invoke, client, ScriptedRequest("1")
    )


def _constructed_fakes() -> dict[str, Callable[[], FakeGrpcClient]]:
    settings = GrpcClientSettings.create("users:50051", default_timeout=2.0)
    return {
        "default": FakeGrpcClient,
        "target-and-options": lambda: FakeGrpcClient("users:50051", default_timeout=2.0),
        "from-settings": lambda: FakeGrpcClient.from_settings(settings),
        "from-settings-with-clock": lambda: FakeGrpcClient.from_settings(
            settings, clock=InstantClock()
        ),
        "registry-factory": lambda: _from_registry(settings),
    }


def _from_registry(settings: GrpcClientSettings) -> FakeGrpcClient:
    registry = GrpcClientRegistry({}, client_factory=FakeGrpcClient.from_settings)
    registry.register("users", settings)
    client = registry.get("users")
    assert isinstance(client, FakeGrpcClient)
    return client


@pytest.mark.parametrize("construct", list(_constructed_fakes()))
async def test_every_way_of_building_a_fake_gives_a_working_client(
    construct: str, invoke: Invoke
) -> None:
    with _constructed_fakes()[construct]() as fake:
        fake.reply(USERS, "GetUser", user_pb2.User(name="made"))
        response = await invoke(fake, ScriptedRequest("1"))
        repr_ = repr(fake)

    assert response.message().name == "made"
    assert [call.attempt for call in fake.calls] == [1]
    assert "FakeGrpcClient" in repr_
    with pytest.raises(GrpcClientClosed):
        await invoke(fake, ScriptedRequest("1"))


async def test_an_exception_mid_call_gives_back_the_bulkhead_slot(invoke: Invoke) -> None:
    """The engine closes the call on every path, so what it took is given back."""

    def broken_for_bugs(call: RecordedCall) -> user_pb2.User:
        if call.message.user_id == "bug":
            raise KeyError("a bug in the handler")
        return user_pb2.User(name="served")

    with FakeGrpcClient(bulkhead=BulkheadPolicy(max_in_flight=1, wait=False)) as fake:
        fake.handle(USERS, "GetUser", broken_for_bugs)
        for _ in range(3):
            with pytest.raises(KeyError):
                await invoke(fake, ScriptedRequest("bug"))
        response = await invoke(fake, ScriptedRequest("1"))

    assert response.message().name == "served"


async def test_a_cancelled_call_gives_back_the_bulkhead_slot() -> None:
    with FakeGrpcClient(bulkhead=BulkheadPolicy(max_in_flight=1, wait=False)) as fake:
        fake.reply(USERS, "GetUser", user_pb2.User(name="served"))
        for _ in range(3):
            task = asyncio.create_task(fake.call_async(ScriptedRequest("1")))
            await asyncio.sleep(0)  # the task is now inside its attempt
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        response = await fake.call_async(ScriptedRequest("1"))

    assert response.message().name == "served"


async def test_an_unreachable_server_is_retried_for_any_request_and_not_held_against_it(
    invoke: Invoke,
) -> None:
    breaker = CircuitBreakerPolicy(minimum_calls=2, window_size=2)
    with FakeGrpcClient(circuit_breaker=breaker) as fake:
        fake.unreachable(USERS, "GetUser")
        down = [await invoke(fake, ScriptedRequest("1")) for _ in range(4)]
        fake.reply(USERS, "GetUser", user_pb2.User(name="back"))
        back = await invoke(fake, ScriptedRequest("1"))

    assert [r.attempts() for r in down] == [3] * 4  # not idempotent, retried all the same
    assert not any(r.outcome_unknown() for r in down)
    assert back.message().name == "back"  # no circuit opened


@pytest.mark.parametrize(
    "keyword",
    [
        {"wait_for_ready": True},
        {"compression": "gzip"},
        {"load_balancing": "round_robin"},
        {"max_receive_message_length": 1024},
        {"options": {"grpc.keepalive_time_ms": 60_000}},
        {"channel_registry": ChannelRegistry()},
    ],
    ids=lambda keyword: next(iter(keyword)),
)
def test_the_fake_is_built_with_any_keyword_the_real_client_takes(
    keyword: dict[str, object],
) -> None:
    """``functools.partial(GrpcClient, load_balancing=...)`` as a client_factory takes the fake."""
    with FakeGrpcClient("users:50051", **keyword) as fake:  # type: ignore[arg-type]
        assert not fake.calls


class _OversleepingClock(InstantClock):
    """A backoff that wakes far later than asked, as a starved thread's or loop's does."""

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds + 5.0)


async def test_no_attempt_is_sent_when_a_backoff_overslept_the_deadline(invoke: Invoke) -> None:
    retry = RetryPolicy(max_attempts=5, initial_backoff=0.1, jitter=0.0)
    with FakeGrpcClient(retry=retry, clock=_OversleepingClock()) as fake:
        fake.fail(USERS, "GetUser", grpc.StatusCode.UNAVAILABLE, "restarting")
        response = await invoke(fake, IdempotentRequest("1", timeout=1.0))

    assert len(fake.calls) == 1
    assert response.attempts() == 1
    assert response.status_code() is grpc.StatusCode.UNAVAILABLE
