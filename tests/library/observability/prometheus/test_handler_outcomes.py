"""grpc_server_handled_total says how each handler ended, as its client was told."""

from collections.abc import Iterator
from contextlib import contextmanager

import grpc
import pytest
from prometheus_client import CollectorRegistry

from grpc_request_client.prometheus import (
    AsyncPrometheusServerInterceptor,
    PrometheusServerInterceptor,
)
from grpc_request_client.testing import GrpcTestServer
from tests.Support.MetricSamples import MetricSamples
from tests.Support.OutcomeHandlers import ASYNC, PLAIN, OutcomeHandlers

KINDS = {
    "Raise": "unary",
    "SetCode": "unary",
    "Abort": "unary",
    "CodeThenRaise": "unary",
    "AbortStream": "server_stream",
    "Slow": "server_stream",
    "Writer": "server_stream",
    "Reader": "client_stream",
    "Count": "client_stream",
}


class Served:
    """An ``OutcomeHandlers`` service behind a Prometheus interceptor, and its samples."""

    def __init__(self, server: GrpcTestServer, service: str, registry: CollectorRegistry) -> None:
        self.server = server
        self.service = service
        self.samples = MetricSamples(registry, "server", service=service, kinds=KINDS)

    def path(self, method: str) -> str:
        return f"/{self.service}/{method}"


@contextmanager
def _serving(kind: str, registry: CollectorRegistry) -> Iterator[Served]:
    handlers, service = (
        (OutcomeHandlers.asynchronous(), ASYNC)
        if kind == "aio"
        else (OutcomeHandlers.plain(), PLAIN)
    )
    interceptor = (
        PrometheusServerInterceptor(registry)
        if kind == "sync"
        else AsyncPrometheusServerInterceptor(registry)
    )
    with GrpcTestServer.start(handlers, interceptors=[interceptor], aio=kind != "sync") as server:
        yield Served(server, service, registry)


@pytest.fixture(params=["sync", "aio", "aio-plain"])
def served(request: pytest.FixtureRequest, registry: CollectorRegistry) -> Iterator[Served]:
    """Plain handlers on grpc.server; async ones, then plain ones, on grpc.aio.server."""
    with _serving(request.param, registry) as serving:
        yield serving


@pytest.fixture(params=["sync", "aio"])
def stoppable(request: pytest.FixtureRequest, registry: CollectorRegistry) -> Iterator[Served]:
    """Handlers grpc can stop mid-stream: not plain generators on grpc.aio.server.

    grpc.aio drains a plain generator on its thread pool into a queue and never
    closes it when the call ends, so that thread waits on the queue for good
    (grpc's own ``generator_to_async_generator``, interceptor or not): such a
    call is never handled, and the thread outlives its server.
    """
    with _serving(request.param, registry) as serving:
        yield serving


def _code(error: grpc.RpcError) -> grpc.StatusCode:
    return error.code()  # type: ignore[attr-defined, no-any-return]  # a grpc.Call too


@pytest.mark.parametrize(
    ("method", "status", "go_name"),
    [
        ("Raise", grpc.StatusCode.UNKNOWN, "Unknown"),
        ("SetCode", grpc.StatusCode.ALREADY_EXISTS, "AlreadyExists"),
        ("Abort", grpc.StatusCode.NOT_FOUND, "NotFound"),
        ("CodeThenRaise", grpc.StatusCode.NOT_FOUND, "NotFound"),
    ],
)
def test_a_unary_handler_is_handled_with_the_status_its_client_got(
    served: Served, method: str, status: grpc.StatusCode, go_name: str
) -> None:
    with (
        grpc.insecure_channel(served.server.target) as channel,
        pytest.raises(grpc.RpcError) as raised,
    ):
        channel.unary_unary(served.path(method))(b"", timeout=5)

    assert _code(raised.value) is status
    # grpc.aio sends an abort's status before the handler's AbortError gets out of it.
    assert served.samples.eventually(lambda: served.samples.handled(method) == {go_name: 1.0})
    assert served.samples.value("started_total", method) == 1.0
    # As Go's unary interceptor: the request, and the reply once the handler ended.
    assert served.samples.value("msg_received_total", method) == 1.0
    assert served.samples.value("msg_sent_total", method) == 1.0


def test_a_stream_that_aborts_counts_its_replies_and_its_code(served: Served) -> None:
    replies: list[bytes] = []
    with grpc.insecure_channel(served.server.target) as channel:
        call = channel.unary_stream(served.path("AbortStream"))(b"", timeout=5)
        with pytest.raises(grpc.RpcError) as raised:
            replies.extend(call)  # keeps each reply as it arrives: the loop raises

    assert _code(raised.value) is grpc.StatusCode.PERMISSION_DENIED
    # grpc.aio drains a plain generator through a queue, so its abort can overtake the
    # second reply; what was sent is what arrived, either way.
    assert replies in ([b"one", b"two"], [b"one"])
    assert served.samples.eventually(
        lambda: served.samples.handled("AbortStream") == {"PermissionDenied": 1.0}
    )
    assert served.samples.value("msg_sent_total", "AbortStream") == len(replies)


def test_a_request_stream_read_to_its_end_counts_the_read_of_the_end_as_go_does(
    served: Served,
) -> None:
    with grpc.insecure_channel(served.server.target) as channel:
        reply = channel.stream_unary(served.path("Count"))(iter([b"a", b"b", b"c"]), timeout=5)

    assert reply == b"3"
    assert served.samples.eventually(lambda: served.samples.handled("Count") == {"OK": 1.0})
    # Three reads gave a message and a fourth the end: Go counts each Recv.
    assert served.samples.value("msg_received_total", "Count") == 4.0
    assert served.samples.value("msg_sent_total", "Count") == 1.0


def test_a_stream_its_client_cancels_is_canceled(stoppable: Served) -> None:
    served = stoppable
    with grpc.insecure_channel(served.server.target) as channel:
        call = channel.unary_stream(served.path("Slow"))(b"", timeout=5)
        assert next(call) == b"tick"
        call.cancel()  # type: ignore[attr-defined]  # a grpc.Call too

    assert served.samples.eventually(lambda: served.samples.handled("Slow") == {"Canceled": 1.0})


def test_a_stream_that_outlives_its_deadline_is_deadline_exceeded(stoppable: Served) -> None:
    served = stoppable
    with (
        grpc.insecure_channel(served.server.target) as channel,
        pytest.raises(grpc.RpcError) as raised,
    ):
        list(channel.unary_stream(served.path("Slow"))(b"", timeout=0.12))

    assert _code(raised.value) is grpc.StatusCode.DEADLINE_EXCEEDED
    assert served.samples.eventually(
        lambda: served.samples.handled("Slow") == {"DeadlineExceeded": 1.0}
    )


@pytest.fixture
def aio_served(registry: CollectorRegistry) -> Iterator[Served]:
    interceptor = AsyncPrometheusServerInterceptor(registry)
    with GrpcTestServer.start(
        OutcomeHandlers.asynchronous(), interceptors=[interceptor], aio=True
    ) as server:
        yield Served(server, ASYNC, registry)


def test_replies_written_through_the_context_are_counted(aio_served: Served) -> None:
    with grpc.insecure_channel(aio_served.server.target) as channel:
        replies = list(channel.unary_stream(aio_served.path("Writer"))(b"", timeout=5))

    assert replies == [b"one", b"two"]
    assert aio_served.samples.handled("Writer") == {"OK": 1.0}
    assert aio_served.samples.value("msg_sent_total", "Writer") == 2.0


def test_requests_read_through_the_context_are_counted(aio_served: Served) -> None:
    with grpc.insecure_channel(aio_served.server.target) as channel:
        reply = channel.stream_unary(aio_served.path("Reader"))(iter([b"a", b"b", b"c"]), timeout=5)

    assert reply == b"3"
    assert aio_served.samples.handled("Reader") == {"OK": 1.0}
    # The read that returned grpc.aio.EOF passed no iterator: only the messages count.
    assert aio_served.samples.value("msg_received_total", "Reader") == 3.0
    assert aio_served.samples.value("msg_sent_total", "Reader") == 1.0
