"""A → B → C over real servers: B continues A's trace because of the request-context interceptor."""

from grpc_request_client import GrpcClient, RequestContext
from protos.my_pb2 import MyRequest
from tests.Support.InterceptedServer import InterceptedServer
from tests.Support.InThread import InThread
from tests.Support.RelayService import RelayService
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest

TO_B = ScriptedRequest(service="my.Service", method="MyMethod", message=MyRequest())


async def test_a_sync_server_in_the_middle_continues_the_callers_trace(
    server: RunningServer,
) -> None:
    with GrpcClient(server.target) as to_c:
        relay = RelayService(to_c)
        async with InterceptedServer.sync([relay.handler()]) as b_target:
            with GrpcClient(b_target) as to_b, RequestContext.scope(user_id="ada") as a:
                answer = await InThread.run(to_b.call, TO_B)

    assert answer.message().trace_id == a.trace_id
    _assert_one_trace_across_three_hops(a.trace_id, a.correlation_id, relay, server)


async def test_an_aio_server_in_the_middle_continues_the_callers_trace(
    server: RunningServer,
) -> None:
    async with GrpcClient(server.target) as to_c:
        relay = RelayService(to_c)
        async with (
            InterceptedServer.aio([relay.async_handler()]) as b_target,
            GrpcClient(b_target) as to_b,
        ):
            with RequestContext.scope(user_id="ada") as a:
                answer = await to_b.call_async(TO_B)

    assert answer.message().trace_id == a.trace_id
    _assert_one_trace_across_three_hops(a.trace_id, a.correlation_id, relay, server)


def _assert_one_trace_across_three_hops(
    trace_id: str | None, correlation_id: str | None, relay: RelayService, c: RunningServer
) -> None:
    (at_b,) = relay.received
    (at_c,) = c.service.received
    assert at_b["x-trace-id"] == at_c["x-trace-id"] == trace_id
    assert at_b["correlation-id"] == at_c["correlation-id"] == correlation_id
    assert at_b["user-id"] == at_c["user-id"] == "ada"
    assert "request-id" not in at_b.keys() | at_c.keys()  # made only when a client is told to
