import dataclasses
import threading
from typing import Any

from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcInvocation import GrpcInvocation
from app.Contexts.Shared.Infrastructure.Grpc.Client.Metadata.GrpcMetadata import GrpcMetadata
from app.Contexts.Shared.Infrastructure.Grpc.Testing.RecordedCall import RecordedCall
from app.Contexts.Shared.Infrastructure.Lifecycle.AfterFork import AfterFork


class RecordedCalls:
    """Every attempt a ``ScriptedAttempt`` was given, in order, safe to use from any thread.

    Attempts are numbered per call, by its ``request-id`` (which every attempt
    of a call shares). A ``RecordedCall`` is a value that never changes, so a
    stream still going on is kept at its place in the list and replaced there
    (``update``) whenever it sends a message or is cancelled.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[RecordedCall] = []
        self._numbers: dict[str, int] = {}
        AfterFork.register(self, in_child=RecordedCalls._new_lock)

    def _new_lock(self) -> None:
        """A forked child's lock: another thread of the parent may have held this one."""
        self._lock = threading.Lock()

    @property
    def calls(self) -> tuple[RecordedCall, ...]:
        with self._lock:
            return tuple(self._calls)

    def record(
        self,
        invocation: GrpcInvocation,
        seconds: float,
        message: Any,
        messages: tuple[Any, ...] = (),
        *,
        cancelled: bool = False,
    ) -> tuple[int, RecordedCall]:
        """Record the invocation's next attempt; its place in the list, for ``update``, and it.

        ``message`` and ``messages`` are copies already (see ``RecordedCall``);
        ``seconds`` is the attempt's timeout.
        """
        method = invocation.method
        with self._lock:
            number = self._numbers[invocation.request_id] = (
                self._numbers.get(invocation.request_id, 0) + 1
            )
            call = RecordedCall(
                service=method.service,
                method=method.name,
                message=message,
                metadata=GrpcMetadata(invocation.metadata),
                timeout=seconds,
                trace_id=invocation.trace_id,
                attempt=number,
                request=invocation.request,
                messages=messages,
                cancelled=cancelled,
            )
            self._calls.append(call)
            return len(self._calls) - 1, call

    def sent(self, index: int, message: Any) -> None:
        """The stream recorded at ``index`` sent one more message (a copy)."""
        with self._lock:
            call = self._calls[index]
            self._calls[index] = dataclasses.replace(call, messages=(*call.messages, message))

    def cancelled(self, index: int) -> None:
        """The caller ended the attempt recorded at ``index`` before its end."""
        with self._lock:
            self._calls[index] = dataclasses.replace(self._calls[index], cancelled=True)
