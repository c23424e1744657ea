import asyncio
import threading

from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcInvocation import GrpcInvocation
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcTransport import GrpcTransport
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.SendEvidence import SendEvidence
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcResponse import GrpcResponse
from app.Contexts.Shared.Infrastructure.Grpc.Client.Metadata.GrpcMetadata import GrpcMetadata
from app.Contexts.Shared.Infrastructure.Grpc.Testing.FakeScript import FakeScript
from app.Contexts.Shared.Infrastructure.Grpc.Testing.RecordedCall import RecordedCall
from app.Contexts.Shared.Infrastructure.Lifecycle.AfterFork import AfterFork


class ScriptedAttempt(GrpcTransport):
    """A ``FakeGrpcClient``'s wire: each attempt is recorded, then answered from the script.

    It stands where ``Attempt`` stands in a real client, under the same
    ``CallEngine``, so bulkhead, breaker, deadline and retries run as in
    production and only the trip to the server is make-believe. Attempts are
    numbered per call (by its ``request-id``, which every attempt shares).
    """

    def __init__(self, script: FakeScript) -> None:
        self._script = script
        self._lock = threading.Lock()
        self._calls: list[RecordedCall] = []
        self._numbers: dict[str, int] = {}
        AfterFork.register(self, in_child=ScriptedAttempt._new_lock)

    def _new_lock(self) -> None:
        """A forked child's lock: another thread of the parent may have held this one."""
        self._lock = threading.Lock()

    @property
    def calls(self) -> tuple[RecordedCall, ...]:
        with self._lock:
            return tuple(self._calls)

    def send(self, invocation: GrpcInvocation, seconds: float) -> GrpcResponse:
        method, message = invocation.method, invocation.message
        with self._lock:
            number = self._numbers[invocation.request_id] = (
                self._numbers.get(invocation.request_id, 0) + 1
            )
            call = RecordedCall(
                service=method.service,
                method=method.name,
                message=type(message).FromString(invocation.payload),
                metadata=GrpcMetadata(invocation.metadata),
                timeout=seconds,
                trace_id=invocation.trace_id,
                attempt=number,
                request=invocation.request,
            )
            self._calls.append(call)
        response = self._script.respond(call, method.response_class)
        if response.is_success():
            return response
        # Judged as the real transport judges grpc's errors; a scripted server has no
        # connection to be READY, so grpc's own texts prove a call never left.
        return SendEvidence.judged(response, connected=False, waited_for_ready=False)

    async def send_async(self, invocation: GrpcInvocation, seconds: float) -> GrpcResponse:
        await asyncio.sleep(0)  # a real call suspends; code under test may rely on it
        return self.send(invocation, seconds)
