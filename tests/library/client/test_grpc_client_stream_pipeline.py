"""A stream is one call for the pipeline: bulkhead, breaker, log and health watch."""

import grpc
import pytest
from grpc_health.v1.health_pb2 import HealthCheckResponse
from structlog.testing import capture_logs

from grpc_request_client import (
    BulkheadPolicy,
    CircuitBreakerPolicy,
    GrpcCallStage,
    GrpcClient,
    GrpcInvocation,
    GrpcResponse,
    GrpcStreamClosed,
    RemoteServiceUnavailable,
    RetryPolicy,
)
from grpc_request_client.testing import GrpcTestServer
from tests.Support.ChunksRequest import ChunksRequest
from tests.Support.DownloadRequest import DownloadRequest
from tests.Support.StorageService import StorageService
from tests.Support.StreamSide import Stream, StreamSide

NO_RETRY = RetryPolicy(max_attempts=1)
# CANCELLED counts as a failure here, so an early close counted would open the circuit a
# failing stream too soon.
BREAKER = CircuitBreakerPolicy(
    failure_rate_threshold=100,
    minimum_calls=2,
    window_size=2,
    reset_timeout=60,
    failure_codes=frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED}),
)


async def test_an_open_stream_holds_one_bulkhead_slot_until_it_ends(
    served: GrpcTestServer, stream_side: StreamSide
) -> None:
    bulkhead = BulkheadPolicy(max_in_flight=1, wait=False)
    with GrpcClient(served.target, bulkhead=bulkhead) as client:
        stream = await stream_side.open(client, DownloadRequest(chunks=3))
        await stream_side.enter(stream)
        while_open = await stream_side.call(client, DownloadRequest(method="StatObject"))
        await stream_side.read_all(stream)
        afterwards = await stream_side.call(client, DownloadRequest(method="StatObject"))

    assert while_open.status_code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert afterwards.is_success()


async def test_the_breaker_hears_a_streams_final_status_and_not_an_early_close(
    served: GrpcTestServer, storage: StorageService, stream_side: StreamSide
) -> None:
    failing = DownloadRequest(chunks=5, metadata={"fail-after": "1"})
    with GrpcClient(served.target, circuit_breaker=BREAKER, retry=NO_RETRY) as client:
        closed_early = await stream_side.open(client, DownloadRequest(chunks=5))
        await stream_side.read_some(closed_early, 1)
        for _ in range(2):
            with pytest.raises(RemoteServiceUnavailable):
                await stream_side.read_all(await stream_side.open(client, failing))
        refused = await stream_side.open(client, DownloadRequest())
        with pytest.raises(RemoteServiceUnavailable, match="circuit open"):
            await stream_side.read_all(refused)

    assert refused.response().attempts() == 0
    assert storage.started("DownloadObject") == 3


async def test_one_log_event_per_stream_with_its_kind_and_message_counts(
    served: GrpcTestServer, stream_side: StreamSide
) -> None:
    with GrpcClient(served.target) as client, capture_logs() as logs:
        await stream_side.read_all(await stream_side.open(client, DownloadRequest(chunks=3)))
        await stream_side.read_some(await stream_side.open(client, DownloadRequest(chunks=9)), 2)
        await stream_side.call(client, ChunksRequest(ChunksRequest.chunks(4)))

    events = [(log["event"], log["log_level"], log.get("kind")) for log in logs]
    assert events == [
        ("grpc.call.succeeded", "debug", "server_stream"),
        ("grpc.call.closed", "debug", "server_stream"),
        ("grpc.call.succeeded", "debug", "client_stream"),
    ]
    counts = [(log["messages_sent"], log["messages_received"]) for log in logs]
    assert counts == [(1, 3), (1, 2), (4, 1)]


async def test_a_health_watch_sees_the_status_change(
    served: GrpcTestServer, stream_side: StreamSide
) -> None:
    service = "storage.ObjectStorage"
    with GrpcClient(served.target) as client:
        if stream_side.side == "sync":
            stream: Stream = await stream_side.blocking(client.watch_health, service)
        else:
            stream = client.watch_health_async(service)
        await stream_side.enter(stream)
        first = await stream_side.read(stream)
        served.health.set(service, HealthCheckResponse.NOT_SERVING)
        second = await stream_side.read(stream)
        await stream_side.close(stream)

    assert (first.status, second.status) == (
        HealthCheckResponse.SERVING,
        HealthCheckResponse.NOT_SERVING,
    )
    assert stream.response().closed_by_caller()


class _Seen(GrpcCallStage[list[str]]):
    """Writes down every hook a call runs, in order."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def start(self, invocation: GrpcInvocation) -> list[str]:
        seen = [f"start {invocation.method.kind}"]
        self.calls.append(seen)
        return seen

    def attempt_started(self, state: list[str], number: int, seconds: float) -> None:
        state.append(f"attempt {number}")

    def attempt_ended(
        self, state: list[str], number: int, response: GrpcResponse, backoff: float | None
    ) -> None:
        state.append(f"ended {number} {response.status_code().name}")

    def finished(
        self, state: list[str], invocation: GrpcInvocation, response: GrpcResponse
    ) -> GrpcResponse:
        state.append(f"finished {response.messages_received()}")
        return response


async def test_stages_see_a_stream_as_one_call_and_each_attempt(
    served: GrpcTestServer, stream_side: StreamSide
) -> None:
    seen = _Seen()
    retry = RetryPolicy(max_attempts=2, initial_backoff=0.01)
    with GrpcClient(served.target, stages=[seen], retry=retry) as client:
        await stream_side.read_all(await stream_side.open(client, DownloadRequest(chunks=2)))
        with pytest.raises(RemoteServiceUnavailable):
            await stream_side.read_all(
                await stream_side.open(client, DownloadRequest(metadata={"fail-after": "0"}))
            )

    assert seen.calls == [
        ["start server_stream", "attempt 1", "ended 1 OK", "finished 2"],
        [
            "start server_stream",
            "attempt 1",
            "ended 1 UNAVAILABLE",
            "attempt 2",
            "ended 2 UNAVAILABLE",
            "finished 0",
        ],
    ]


class _Exploding(GrpcCallStage[None]):
    def start(self, invocation: GrpcInvocation) -> None:
        return None

    def finished(
        self, state: None, invocation: GrpcInvocation, response: GrpcResponse
    ) -> GrpcResponse:
        raise RuntimeError("a bug in the stage")


async def test_a_stage_that_raises_at_a_streams_end_is_what_the_reader_gets(
    served: GrpcTestServer, stream_side: StreamSide
) -> None:
    with GrpcClient(served.target, stages=[_Exploding()]) as client:
        stream = await stream_side.open(client, DownloadRequest(chunks=2))
        with pytest.raises(RuntimeError, match="a bug in the stage"):
            await stream_side.read_all(stream)
        with pytest.raises(GrpcStreamClosed, match="ended with RuntimeError after 2 messages"):
            await stream_side.read(stream)

    assert stream.response().messages_sent() == 1
