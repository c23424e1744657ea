import asyncio
import socket
import subprocess
import sys
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest

from grpc_request_client import (
    ChannelRegistry,
    GrpcClient,
    GrpcClientClosed,
    GrpcResponse,
    InvalidGrpcRequest,
    RequestContext,
)
from protos import user_pb2
from tests.conftest import Invoke
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest
from tests.Support.TcpConnections import TcpConnections


async def test_a_successful_call_returns_the_decoded_reply(
    client: GrpcClient, invoke: Invoke
) -> None:
    response = await invoke(client, ScriptedRequest("7"))

    assert response.is_success()
    assert response.status_code() is grpc.StatusCode.OK
    assert response.details() == ""
    assert isinstance(response.message(), user_pb2.User)
    assert response.message().name == "user 7"


async def test_create_user_sends_the_request_fields(client: GrpcClient, invoke: Invoke) -> None:
    request = ScriptedRequest(
        method="CreateUser", message=user_pb2.CreateUserRequest(name="ana", email="a@x.io", age=30)
    )

    response = await invoke(client, request)

    assert response.message() == user_pb2.User(id="u-ana", name="ana", email="a@x.io", age=30)


async def test_a_server_error_is_a_response_with_code_details_and_metadata(
    client: GrpcClient, invoke: Invoke
) -> None:
    response = await invoke(client, ScriptedRequest("404"))

    assert not response.is_success()
    assert response.status_code() is grpc.StatusCode.NOT_FOUND
    assert response.details() == "user 404 not found"
    assert response.message() is None
    assert response.trailing_metadata()["x-error-code"] == "U404"


async def test_initial_and_trailing_metadata_keep_repeated_keys_and_binary_values(
    client: GrpcClient, invoke: Invoke
) -> None:
    response = await invoke(client, ScriptedRequest("meta"))

    metadata = response.metadata()
    assert response.initial_metadata()["x-initial"] == "i1"
    assert metadata.get_all("x-rep") == ("a", "b")
    assert metadata["x-rep"] == "a"
    assert metadata["x-blob-bin"] == b"\x00\x01"
    assert ("x-initial", "i1") in metadata.pairs()


async def test_a_deadline_is_a_deadline_exceeded_response(
    client: GrpcClient, invoke: Invoke
) -> None:
    response = await invoke(client, ScriptedRequest("slow", timeout=0.2))

    assert response.status_code() is grpc.StatusCode.DEADLINE_EXCEEDED
    assert not response.is_success()


async def test_the_client_default_timeout_applies_when_the_request_has_none(
    server: RunningServer, invoke: Invoke
) -> None:
    with GrpcClient(server.target, default_timeout=0.2) as client:
        response = await invoke(client, ScriptedRequest("slow"))

    assert response.status_code() is grpc.StatusCode.DEADLINE_EXCEEDED


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_server_that_is_down_gives_unavailable_rather_than_waiting_for_the_deadline(
    invoke: Invoke,
) -> None:
    with GrpcClient(f"127.0.0.1:{_closed_port()}") as client:
        response = await invoke(client, ScriptedRequest("1", timeout=20.0))

    assert response.status_code() is grpc.StatusCode.UNAVAILABLE
    assert response.details()


async def test_the_trace_id_of_the_current_context_is_sent(
    client: GrpcClient, server: RunningServer, invoke: Invoke
) -> None:
    with RequestContext.scope(trace_id="trace-0001-abcdef"):
        response = await invoke(client, ScriptedRequest("1"))

    assert server.service.received[-1]["x-trace-id"] == "trace-0001-abcdef"
    assert response.trailing_metadata()["x-seen-trace-id"] == "trace-0001-abcdef"


async def test_a_request_that_sets_its_own_trace_id_keeps_it(
    client: GrpcClient, server: RunningServer, invoke: Invoke
) -> None:
    with RequestContext.scope(trace_id="context-trace-id"):
        await invoke(client, ScriptedRequest("1", metadata={"x-trace-id": "request-trace-id"}))

    assert server.service.received[-1]["x-trace-id"] == "request-trace-id"
    assert len([key for key in server.service.received[-1] if key == "x-trace-id"]) == 1


async def test_outside_any_context_a_call_sends_no_id_as_a_grpcio_stub_would(
    client: GrpcClient, server: RunningServer, invoke: Invoke
) -> None:
    await invoke(client, ScriptedRequest("1"))

    sent = {key for key, _ in server.service.received_pairs[-1]}
    assert sent.isdisjoint({"x-trace-id", "user-id", "correlation-id", "request-id"})


async def test_request_metadata_reaches_the_server_and_none_values_are_left_out(
    client: GrpcClient, server: RunningServer, invoke: Invoke
) -> None:
    metadata = {"x-client-version": "1.0", "x-client-ip": None, "x-blob-bin": b"\xff\x00"}

    await invoke(client, ScriptedRequest("1", metadata=metadata))

    received = server.service.received[-1]
    assert received["x-client-version"] == "1.0"
    assert received["x-blob-bin"] == b"\xff\x00"
    assert "x-client-ip" not in received


async def test_metadata_given_as_pairs_can_repeat_a_key(
    client: GrpcClient, server: RunningServer, invoke: Invoke
) -> None:
    pairs = [("x-tag", "a"), ("x-tag", "b")]

    await invoke(client, ScriptedRequest("1", metadata=pairs))

    tags = [value for key, value in server.service.received_pairs[-1] if key == "x-tag"]
    assert tags == ["a", "b"]


def test_sixteen_threads_share_one_client_over_one_connection(
    client: GrpcClient, server: RunningServer
) -> None:
    def work(thread_number: int) -> list[bool]:
        trace_id = f"thread-{thread_number:02d}-trace"
        with RequestContext.scope(trace_id=trace_id):
            return [
                client.call(ScriptedRequest(str(i))).trailing_metadata()["x-seen-trace-id"]
                == trace_id
                for i in range(25)
            ]

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = [ok for batch in pool.map(work, range(16)) for ok in batch]

    assert len(results) == 400
    assert all(results)
    assert len(set(server.service.peers)) == 1


async def test_two_hundred_gathered_async_calls_share_one_connection(
    client: GrpcClient, server: RunningServer
) -> None:
    responses = await asyncio.gather(
        *(client.call_async(ScriptedRequest(str(i))) for i in range(200))
    )

    assert [response.message().id for response in responses] == [str(i) for i in range(200)]
    assert len(set(server.service.peers)) == 1


async def test_trace_ids_stay_apart_across_thirty_concurrent_tasks(client: GrpcClient) -> None:
    async def task(number: int) -> list[str]:
        with RequestContext.scope(trace_id=f"task-{number:02d}-trace"):
            seen = []
            for _ in range(3):
                response = await client.call_async(ScriptedRequest("1"))
                seen.append(str(response.trailing_metadata()["x-seen-trace-id"]))
                await asyncio.sleep(0)
            return seen

    results = await asyncio.gather(*(task(number) for number in range(30)))

    assert results == [[f"task-{number:02d}-trace"] * 3 for number in range(30)]


def test_a_client_built_outside_any_loop_works_across_successive_event_loops(
    server: RunningServer,
) -> None:
    client = GrpcClient(server.target)

    async def one_call() -> str:
        return str((await client.call_async(ScriptedRequest("9"))).message().name)

    try:
        names = [asyncio.run(one_call()) for _ in range(3)]
        sync_name = client.call(ScriptedRequest("9")).message().name
    finally:
        client.close()

    assert names == ["user 9"] * 3
    assert sync_name == "user 9"


def test_close_inside_a_running_loop_is_clean_and_final(server: RunningServer) -> None:
    async def seed_example_3() -> str:
        client = GrpcClient(server.target)
        try:
            response = await client.call_async(ScriptedRequest("3"))
            return str(response.message().name)
        finally:
            client.close()

    assert asyncio.run(seed_example_3()) == "user 3"


async def test_a_closed_client_refuses_calls_without_sending(
    client: GrpcClient, server: RunningServer, invoke: Invoke
) -> None:
    await invoke(client, ScriptedRequest("1"))
    client.close()
    client.close()

    with pytest.raises(GrpcClientClosed, match="closed"):
        await invoke(client, ScriptedRequest("1"))
    assert len(server.service.received) == 1


async def test_calls_in_flight_finish_when_their_client_closes(server: RunningServer) -> None:
    client = GrpcClient(server.target)
    in_flight = asyncio.ensure_future(client.call_async(ScriptedRequest("2")))
    await asyncio.sleep(0)

    await client.aclose()

    assert (await in_flight).is_success()
    with pytest.raises(GrpcClientClosed):
        await client.call_async(ScriptedRequest("2"))


def test_clients_with_equal_settings_share_one_connection_and_close_independently(
    server: RunningServer,
) -> None:
    registry = ChannelRegistry(linger=0)
    first = GrpcClient(server.target, channel_registry=registry)
    second = GrpcClient(server.target, channel_registry=registry)
    assert first.call(ScriptedRequest("1")).is_success()

    first.close()

    assert second.call(ScriptedRequest("1")).is_success()
    assert len(set(server.service.peers)) == 1
    assert registry.open_channels() == 1
    second.close()
    assert registry.open_channels() == 0


def test_a_thousand_short_lived_clients_open_one_connection(server: RunningServer) -> None:
    registry = ChannelRegistry(linger=30.0)
    for number in range(1000):
        with GrpcClient(server.target, channel_registry=registry) as client:
            assert client.call(ScriptedRequest(f"user-{number}")).is_success()

    assert len(server.service.received) == 1000
    assert len(set(server.service.peers)) == 1
    assert registry.close_idle() == 1
    assert registry.open_channels() == 0


async def test_context_managers_close_the_client(server: RunningServer) -> None:
    with GrpcClient(server.target) as sync_client:
        assert (await asyncio.to_thread(sync_client.call, ScriptedRequest("1"))).is_success()
    async with GrpcClient(server.target) as async_client:
        assert (await async_client.call_async(ScriptedRequest("1"))).is_success()

    with pytest.raises(GrpcClientClosed):
        await asyncio.to_thread(sync_client.call, ScriptedRequest("1"))
    with pytest.raises(GrpcClientClosed):
        await async_client.call_async(ScriptedRequest("1"))


def test_close_from_another_thread_cancels_calls_in_flight_on_a_loop_running_there(
    server: RunningServer,
) -> None:
    client = GrpcClient(server.target, channel_registry=ChannelRegistry(linger=0))
    loop = asyncio.new_event_loop()
    outcome: list[object] = []

    async def slow_call_then_another() -> None:
        outcome.append((await client.call_async(ScriptedRequest("slow"))).status_code())
        try:
            await client.call_async(ScriptedRequest("4"))
        except GrpcClientClosed:
            outcome.append("closed")

    thread = threading.Thread(target=loop.run_until_complete, args=(slow_call_then_another(),))
    thread.start()
    server.wait_until_received(1)
    client.close()
    thread.join(10)
    loop.close()

    assert outcome == [grpc.StatusCode.CANCELLED, "closed"]


async def test_close_cancels_a_call_in_flight_on_the_same_loop_with_a_cancelled_response(
    server: RunningServer,
) -> None:
    client = GrpcClient(server.target, channel_registry=ChannelRegistry(linger=0))
    in_flight = asyncio.ensure_future(client.call_async(ScriptedRequest("slow")))
    await asyncio.to_thread(server.wait_until_received, 1)

    client.close()
    response = await in_flight

    assert response.status_code() is grpc.StatusCode.CANCELLED
    assert "closed" in response.details()


async def test_cancelling_the_callers_task_still_cancels_it(client: GrpcClient) -> None:
    in_flight = asyncio.ensure_future(client.call_async(ScriptedRequest("slow")))
    await asyncio.sleep(0.05)

    in_flight.cancel()

    with pytest.raises(asyncio.CancelledError):
        await in_flight


def test_close_cancels_a_blocking_call_in_flight_in_another_thread(server: RunningServer) -> None:
    client = GrpcClient(server.target, channel_registry=ChannelRegistry(linger=0))
    with ThreadPoolExecutor(max_workers=1) as pool:
        in_flight = pool.submit(client.call, ScriptedRequest("slow"))
        server.wait_until_received(1)
        client.close()
        response = in_flight.result(10)

    assert response.status_code() is grpc.StatusCode.CANCELLED, response


async def test_a_reply_over_the_receive_limit_is_resource_exhausted(
    server: RunningServer, invoke: Invoke
) -> None:
    with GrpcClient(server.target, max_receive_message_length=1024) as client:
        small = await invoke(client, ScriptedRequest("1"))
        big = await invoke(client, ScriptedRequest("big"))

    assert small.is_success()
    assert big.status_code() is grpc.StatusCode.RESOURCE_EXHAUSTED


async def test_channel_options_and_compression_reach_the_channel(
    server: RunningServer, invoke: Invoke
) -> None:
    options = {"grpc.primary_user_agent": "orders-api/2.1"}
    with GrpcClient(server.target, compression="gzip", options=options) as client:
        response = await invoke(client, ScriptedRequest("1"))

    assert response.is_success()
    assert str(server.service.received[-1]["user-agent"]).startswith("orders-api/2.1")


def _settled_connections_to(port: int) -> int:
    """grpc closes sockets on its own threads: give it a moment before counting."""
    for _ in range(200):
        if not TcpConnections.to(port):
            return 0
        threading.Event().wait(0.01)
    return len(TcpConnections.to(port))


def test_closing_releases_every_connection_the_client_opened(server: RunningServer) -> None:
    """The clients stay referenced, so only close(), not garbage collection, can free them."""
    port = int(server.target.rsplit(":", 1)[1])
    kept: list[GrpcClient] = []

    registry = ChannelRegistry(linger=0)

    def use_and_close(close_inside_the_loop: bool) -> None:
        client = GrpcClient(server.target, channel_registry=registry)
        kept.append(client)
        client.call(ScriptedRequest("1"))

        async def call_async() -> None:
            try:
                await client.call_async(ScriptedRequest("1"))
            finally:
                if close_inside_the_loop:
                    client.close()

        asyncio.run(call_async())
        client.close()

    for round_number in range(10):
        use_and_close(close_inside_the_loop=round_number % 2 == 0)
    open_while_in_use = GrpcClient(server.target, channel_registry=registry)
    open_while_in_use.call(ScriptedRequest("1"))
    assert len(TcpConnections.to(port)) >= 1
    open_while_in_use.close()

    assert _settled_connections_to(port) == 0
    assert len(kept) == 10


def test_a_request_may_import_its_protobuf_module_inside_message(server: RunningServer) -> None:
    """The seed's requests import their *_pb2 module in message(); a fresh process shows it."""
    script = textwrap.dedent(
        f"""
        import sys
        from app.Contexts.Shared.Infrastructure.Grpc.Client.BaseGrpcRequest import BaseGrpcRequest
        from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClient import GrpcClient

        class CreateUserGrpcRequest(BaseGrpcRequest):
            def service_name(self):
                return "user.UserService"

            def method_name(self):
                return "CreateUser"

            def message(self):
                from protos.user_pb2 import CreateUserRequest
                return CreateUserRequest(name="lazy")

        assert "protos.user_pb2" not in sys.modules
        with GrpcClient("{server.target}") as client:
            print("created", client.call(CreateUserGrpcRequest()).message().id)
        """
    )
    repository = Path(__file__).resolve().parents[3]

    ran = subprocess.run(  # noqa: S603  # our own interpreter and script
        [sys.executable, "-W", "error", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=repository,
        check=False,
    )

    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines()[-1] == "created u-lazy"


async def test_a_request_may_choose_its_own_compression(client: GrpcClient, invoke: Invoke) -> None:
    class Compressed(ScriptedRequest):
        def compression(self) -> str:
            return "gzip"

    class Misspelt(ScriptedRequest):
        def compression(self) -> str:
            return "brotli"

    assert (await invoke(client, Compressed("1"))).is_success()
    with pytest.raises(InvalidGrpcRequest, match=r"compression\(\) must be a grpc\.Compression"):
        await invoke(client, Misspelt("1"))


def test_an_async_responses_metadata_can_be_read_after_its_event_loop_ended(
    server: RunningServer,
) -> None:
    async def call() -> GrpcResponse:
        async with GrpcClient(server.target) as client:
            return await client.call_async(ScriptedRequest("meta"))

    response = asyncio.run(call())

    assert response.initial_metadata()["x-initial"] == "i1"
    assert response.trailing_metadata().get_all("x-rep") == ("a", "b")


async def test_a_request_over_the_send_limit_is_resource_exhausted_and_never_sent(
    server: RunningServer, invoke: Invoke
) -> None:
    with GrpcClient(server.target, max_send_message_length=1024) as client:
        response = await invoke(client, ScriptedRequest("x" * 5000))

    assert response.status_code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert response.attempts() == 1
    assert server.service.received == []
