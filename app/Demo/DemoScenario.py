import asyncio
import uuid
from collections.abc import Callable
from time import perf_counter

from app.Contexts.Backoffice.Users.Infrastructure.Grpc.GetUserGrpcRequest import GetUserGrpcRequest
from app.Demo.DemoMetrics import DemoMetrics
from app.Demo.DemoServer import DemoServer
from app.Demo.DemoStreaming import DemoStreaming
from app.Demo.DemoThreeHops import SENT_IDS, DemoThreeHops
from app.Demo.ListUsersGrpcRequest import ListUsersGrpcRequest
from app.Demo.MyGrpcRequest import MyGrpcRequest
from grpc_request_client import GrpcClient, GrpcResponse, RequestContext, UnsupportedGrpcMethod
from protos.user_pb2 import User

Step = Callable[[GrpcClient], bool]


class DemoScenario:
    """Walks through what the client does, against a ``DemoServer`` started for the occasion.

    Each step says what it sends, then what came back; the library's own log
    lines appear in between. Every step also checks its outcome, so the demo
    exits non-zero if the library ever stops behaving as shown. The steps run
    in one ``RequestContext``, as a job's would: the client sends the
    context's ids (and, asked to, a request id per call), and makes none up.
    """

    def __init__(self, write: Callable[[str], None] = print) -> None:
        self._write = write

    def run(self) -> int:
        three_hops = DemoThreeHops(self._write)
        failed: list[str] = []
        with (
            DemoMetrics(self._write).serving() as metrics,
            DemoServer(interceptors=[metrics.server_interceptor, three_hops.recorder]) as server,
        ):
            steps = self._steps(three_hops, DemoStreaming(self._write, server), metrics)
            self._write(f"Demo server for every service in protos/ listening on {server.target}")
            self._write(f"Prometheus metrics of the client and the server at {metrics.url}")
            self._write("Lines with a time are the library's own log events (structlog).")
            stages = [metrics.client_stage]
            with (
                GrpcClient(
                    server.target, default_timeout=5.0, stages=stages, sent_ids=SENT_IDS
                ) as client,
                RequestContext.scope(),
            ):
                for number, (name, step) in enumerate(steps, start=1):
                    self._write("")
                    self._write(f"{number}. {name.capitalize()}")
                    if not step(client):
                        failed.append(name)
        self._write("")
        if failed:
            self._write(f"Unexpected outcome in: {', '.join(failed)}")
            return 1
        self._write(
            f"All {len(steps)} steps behaved as expected; client closed, server and /metrics "
            "stopped."
        )
        return 0

    def _steps(
        self, three_hops: DemoThreeHops, streaming: DemoStreaming, metrics: DemoMetrics
    ) -> tuple[tuple[str, Step], ...]:
        return (
            ("start-up check", self._startup_check),
            ("sync call", self._sync_call),
            ("async calls", self._async_calls),
            ("unknown user", self._not_found),
            ("deadline", self._deadline),
            ("trace id", self._trace_id),
            ("one trace across three services", three_hops.run),
            ("server streaming: listing users", streaming.listing),
            ("client streaming: a chunked upload", streaming.upload),
            ("a stream that fails midway", streaming.failure_midway),
            ("bidirectional streaming: a checksum per chunk", streaming.checksums),
            ("health watch: a status change arrives", streaming.health_watch),
            ("misuse", self._streaming_refused),
            ("Prometheus metrics, scraped from /metrics", metrics.scrape),
        )

    def _startup_check(self, client: GrpcClient) -> bool:
        self._write('   client.wait_until_ready(5.0); client.check_health("user.UserService")')
        ready = client.wait_until_ready(5.0)
        health = client.check_health("user.UserService", timeout=2.0)
        self._write(
            f"   -> connected: {ready}; grpc.health.v1 says {health.status.name} for "
            f"{health.service} (the check is a call like any other: traced and logged)"
        )
        return ready and health.is_serving()

    def _sync_call(self, client: GrpcClient) -> bool:
        self._write('   client.call(GetUserGrpcRequest("123"))')
        response = client.call(GetUserGrpcRequest("123"))
        user = response.reply()
        arrived = response.trailing_metadata().get("x-trace-id", "")
        self._write(
            f"   -> {response.status_code().name}: {user.name} <{user.email}>, id {user.id}; "
            f"the server got trace id {arrived!s} (sent back in trailing metadata)"
        )
        return response.is_success() and user.name == "John Doe" and bool(arrived)

    def _async_calls(self, client: GrpcClient) -> bool:
        self._write('   await client.call_async(...) for users "123" and "456" together')

        async def both() -> list[GrpcResponse[User]]:
            return list(
                await asyncio.gather(
                    client.call_async(GetUserGrpcRequest("123")),
                    client.call_async(GetUserGrpcRequest("456")),
                )
            )

        responses = asyncio.run(both())
        names = [r.reply().name for r in responses if r.is_success()]
        codes = ", ".join(r.status_code().name for r in responses)
        self._write(f"   -> {codes}: {' and '.join(names)}")
        return names == ["John Doe", "Jane Roe"]

    def _not_found(self, client: GrpcClient) -> bool:
        self._write('   client.call(GetUserGrpcRequest("999")): no such user')
        response = client.call(GetUserGrpcRequest("999"))
        self._write(
            f"   -> {response.status_code().name}, details {response.details()!r}; "
            f"a response, not an exception (is_success() is {response.is_success()})"
        )
        return response.status_code().name == "NOT_FOUND" and not response.is_success()

    def _deadline(self, client: GrpcClient) -> bool:
        self._write('   client.call(GetUserGrpcRequest("slow", timeout=0.3)): the server takes 2 s')
        started = perf_counter()
        response = client.call(GetUserGrpcRequest("slow", timeout=0.3))
        elapsed = perf_counter() - started
        self._write(
            f"   -> {response.status_code().name}, details {response.details()!r}, "
            f"after {elapsed:.2f} s"
        )
        return response.status_code().name == "DEADLINE_EXCEEDED" and elapsed < 1.5

    def _trace_id(self, client: GrpcClient) -> bool:
        trace_id = f"demo-{uuid.uuid4().hex[:12]}"
        self._write(f'   with RequestContext.scope(trace_id="{trace_id}"): MyGrpcRequest()')
        with RequestContext.scope(trace_id=trace_id):
            response = client.call(MyGrpcRequest())
        echoed = response.reply().trace_id if response.is_success() else None
        same = "the same id" if echoed == trace_id else "a DIFFERENT id"
        self._write(f"   -> {response.status_code().name}: the server saw {echoed!r}, {same}")
        return echoed == trace_id

    def _streaming_refused(self, client: GrpcClient) -> bool:
        self._write("   client.call(ListUsersGrpcRequest()): a server-streaming method")
        try:
            client.call(ListUsersGrpcRequest())
        except UnsupportedGrpcMethod as error:
            self._write(f"   -> raised {type(error).__name__} before sending: {error}")
            return True
        self._write("   -> no exception was raised")
        return False
