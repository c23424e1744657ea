"""A → B → C over real servers, traced: one trace, each span the child of the one before."""

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

from grpc_request_client import GrpcClient, RequestContext
from grpc_request_client.otel import (
    AsyncOpenTelemetryServerInterceptor,
    OpenTelemetryClientStage,
    OpenTelemetryServerInterceptor,
)
from grpc_request_client.testing import GrpcTestServer
from protos.my_pb2 import MyRequest
from tests.Support.InterceptedServer import InterceptedServer
from tests.Support.InThread import InThread
from tests.Support.RecordingUserService import RecordingUserService
from tests.Support.RelayService import RelayService
from tests.Support.ScriptedRequest import ScriptedRequest
from tests.Support.Telemetry import Telemetry

TO_B = ScriptedRequest(service="my.Service", method="MyMethod", message=MyRequest())


@pytest.fixture
def c_service() -> RecordingUserService:
    return RecordingUserService()


@pytest.fixture
def c_target(c_service: RecordingUserService, telemetry: Telemetry) -> Iterator[str]:
    interceptor = OpenTelemetryServerInterceptor(tracer_provider=telemetry.tracer_provider)
    with GrpcTestServer.start(c_service, interceptors=[interceptor]) as c:
        yield c.target


def _stage(telemetry: Telemetry) -> OpenTelemetryClientStage:
    return OpenTelemetryClientStage(tracer_provider=telemetry.tracer_provider)


@asynccontextmanager
async def _b(kind: str, relay: RelayService, telemetry: Telemetry) -> AsyncIterator[str]:
    provider = telemetry.tracer_provider
    if kind == "sync":
        before = [OpenTelemetryServerInterceptor(tracer_provider=provider)]
        async with InterceptedServer.sync([relay.handler()], before=before) as target:
            yield target
    else:
        aio_before = [AsyncOpenTelemetryServerInterceptor(tracer_provider=provider)]
        async with InterceptedServer.aio([relay.async_handler()], before=aio_before) as target:
            yield target


@pytest.mark.parametrize("b_kind", ["sync", "aio"])
async def test_a_chain_of_three_services_is_one_trace_of_parent_and_child_spans(
    b_kind: str, c_target: str, c_service: RecordingUserService, telemetry: Telemetry
) -> None:
    async with GrpcClient(c_target, stages=[_stage(telemetry)]) as to_c:
        relay = RelayService(to_c)
        async with (
            _b(b_kind, relay, telemetry) as b_target,
            GrpcClient(b_target, stages=[_stage(telemetry)]) as to_b,
        ):
            with RequestContext.scope(), telemetry.tracer.start_as_current_span("A") as a:
                if b_kind == "aio":
                    answer = await to_b.call_async(TO_B)
                else:
                    answer = await InThread.run(to_b.call, TO_B)

    spans = telemetry.wait_for(SpanKind.SERVER, 2)
    a_to_b, b_to_c = _by_name(telemetry.spans(SpanKind.CLIENT), "my.Service/MyMethod")
    at_b, at_c = _by_name(spans, "my.Service/MyMethod")
    trace_id = a.get_span_context().trace_id
    chain = [a_to_b, at_b, b_to_c, at_c]
    assert {span.context.trace_id for span in chain} == {trace_id}
    assert _parent(a_to_b) == a.get_span_context().span_id
    assert _parent(at_b) == a_to_b.context.span_id
    assert _parent(b_to_c) == at_b.context.span_id
    assert _parent(at_c) == b_to_c.context.span_id
    assert answer.message().trace_id == f"{trace_id:032x}"
    ((at_b_metadata,), (at_c_metadata,)) = relay.received, c_service.received
    assert at_b_metadata["x-trace-id"] == at_c_metadata["x-trace-id"] == f"{trace_id:032x}"


def _by_name(spans: list[ReadableSpan], first: str) -> tuple[ReadableSpan, ReadableSpan]:
    """The span of ``first`` and the one other span, in that order."""
    (named,) = [span for span in spans if span.name == first]
    (other,) = [span for span in spans if span.name != first]
    return named, other


def _parent(span: ReadableSpan) -> int | None:
    return None if span.parent is None else span.parent.span_id
