from grpc_request_client import GrpcClient, GrpcRequest, GrpcResponse, HealthCheckResult
from tests.Support.InThread import InThread


class SyncOrAsync:
    """Drives a client through its blocking methods or through their async twins.

    A test written against this runs both ways from one body (a fixture picks the
    side), so the two APIs cannot drift apart. Arguments are passed on untouched,
    wrong ones included, since some tests are about refusing them. The blocking
    methods run in a thread (``InThread``), as async code must run them:
    on the test's event loop they would block it (``EventLoopBlockedWarning``).
    """

    def __init__(self, side: str) -> None:
        self.side = side

    async def call(self, client: GrpcClient, request: GrpcRequest) -> GrpcResponse:
        if self.side == "sync":
            return await InThread.run(client.call, request)
        return await client.call_async(request)

    async def wait_until_ready(self, client: GrpcClient, timeout: object) -> bool:
        if self.side == "sync":
            return await InThread.run(client.wait_until_ready, timeout)  # type: ignore[arg-type]
        return await client.wait_until_ready_async(timeout)  # type: ignore[arg-type]

    async def check_health(
        self, client: GrpcClient, service: object = "", timeout: object = None
    ) -> HealthCheckResult:
        if self.side == "sync":
            return await InThread.run(
                client.check_health,
                service,  # type: ignore[arg-type]
                timeout=timeout,  # type: ignore[arg-type]
            )
        return await client.check_health_async(service, timeout=timeout)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return self.side
