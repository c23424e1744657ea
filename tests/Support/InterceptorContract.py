from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager

import grpc
import grpc.aio
import pytest

from grpc_request_client import RequestContextData
from grpc_request_client.context import TraceId
from tests.Support.ProbeServer import ProbeServer

IDS = (("x-trace-id", "trace-in-0001"), ("user-id", "ada"), ("correlation-id", "corr-in-0001"))
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
EXPECTED = RequestContextData(
    "trace-in-0001", "127.0.0.1", user_id="ada", correlation_id="corr-in-0001"
)


class InterceptorContract:
    """What both request-context interceptors promise, for a test class per server kind to run.

    A subclass says how to ``start`` its kind of ``ProbeServer``, gives the
    ``path`` fixture, parametrized over every handler kind that server runs, and
    lists in ``ABORTING`` its handlers that abort.
    """

    ABORTING: tuple[str, ...] = ()

    def start(self, host: str) -> AbstractAsyncContextManager[ProbeServer]:
        raise NotImplementedError

    @pytest.fixture
    async def served(self) -> AsyncIterator[ProbeServer]:
        async with self.start("127.0.0.1") as served:
            yield served

    async def test_the_ids_that_arrived_are_the_context_of_every_step(
        self, served: ProbeServer, path: str
    ) -> None:
        replies = await served.call(path, IDS)

        assert replies
        assert served.probe.seen
        assert all(seen == EXPECTED for seen in served.probe.seen)

    async def test_without_ids_a_trace_and_a_correlation_start_here_and_no_user_is_known(
        self, served: ProbeServer, path: str
    ) -> None:
        await served.call(path)

        first, *rest = served.probe.seen
        assert TraceId.is_valid(first.trace_id)
        assert TraceId.is_valid(first.correlation_id)
        assert first.trace_id != first.correlation_id
        assert first.user_id is None
        assert all(seen == first for seen in rest)

    @pytest.mark.parametrize(
        "bad",
        ["has spaces in it", "x" * 200, "<script>alert(1)</script>"],
        ids=["spaces", "too-long", "markup"],
    )
    async def test_invalid_ids_are_dropped_or_replaced_as_the_middleware_does(
        self, served: ProbeServer, path: str, bad: str
    ) -> None:
        offered = (("x-trace-id", bad), ("user-id", bad), ("correlation-id", bad))

        await served.call(path, offered)

        seen = served.probe.seen[0]
        assert seen.user_id is None
        assert TraceId.is_valid(seen.trace_id)
        assert TraceId.is_valid(seen.correlation_id)
        assert bad not in (seen.trace_id, seen.correlation_id)

    @pytest.mark.parametrize(
        ("offered", "user_id"),
        [
            (
                (
                    ("x-consumer-custom-id", "kong-7"),
                    ("x-user-id", "http-7"),
                    ("user-id", "grpc-7"),
                ),
                "grpc-7",
            ),
            ((("x-consumer-custom-id", "kong-7"), ("x-user-id", "http-7")), "http-7"),
            ((("x-consumer-custom-id", "kong-7"),), "kong-7"),
            ((("user-id", "not valid"), ("x-consumer-custom-id", "kong-7")), "kong-7"),
        ],
        ids=["user-id-first", "then-x-user-id", "then-kong", "invalid-falls-back"],
    )
    async def test_the_user_id_is_the_first_valid_of_its_names(
        self, served: ProbeServer, offered: tuple[tuple[str, str], ...], user_id: str
    ) -> None:
        await served.call("/probe.Sync/UnaryUnary", offered)

        assert served.probe.seen[0].user_id == user_id

    @pytest.mark.parametrize(
        ("offered", "trace_id"),
        [
            (
                (("x-trace-id", "trace-in-0001"), ("traceparent", TRACEPARENT)),
                "4bf92f3577b34da6a3ce929d0e0e4736",
            ),
            ((("traceparent", "00-bad"), ("x-trace-id", "trace-in-0001")), "trace-in-0001"),
        ],
        ids=["traceparent-wins", "a-bad-traceparent-gives-way"],
    )
    async def test_a_valid_w3c_traceparent_wins_over_x_trace_id(
        self, served: ProbeServer, offered: tuple[tuple[str, str], ...], trace_id: str
    ) -> None:
        await served.call("/probe.Sync/UnaryUnary", offered)

        assert served.probe.seen[0].trace_id == trace_id

    async def test_a_correlation_id_under_its_http_name_is_read_too(
        self, served: ProbeServer
    ) -> None:
        await served.call("/probe.Sync/UnaryUnary", (("x-correlation-id", "corr-http-0001"),))

        assert served.probe.seen[0].correlation_id == "corr-http-0001"

    async def test_an_unknown_method_passes_through_to_unimplemented(
        self, served: ProbeServer
    ) -> None:
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await served.call("/probe.Sync/Missing")

        assert raised.value.code() is grpc.StatusCode.UNIMPLEMENTED

    async def test_a_handler_that_aborts_still_answers_with_its_status(
        self, served: ProbeServer
    ) -> None:
        codes = []
        for path in self.ABORTING:
            with pytest.raises(grpc.aio.AioRpcError) as raised:
                await served.call(path, IDS)
            codes.append(raised.value.code())

        assert codes == [grpc.StatusCode.NOT_FOUND] * len(self.ABORTING) != []
        assert served.probe.seen == [EXPECTED] * len(self.ABORTING)

    async def test_an_ipv6_callers_address_is_the_client_ip(self) -> None:
        async with self.start("[::1]") as served:
            await served.call("/probe.Sync/UnaryUnary")

        assert served.probe.seen[0].client_ip == "::1"
