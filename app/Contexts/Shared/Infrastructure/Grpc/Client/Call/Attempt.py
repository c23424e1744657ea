import asyncio
from collections.abc import Callable

import grpc

from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcInvocation import GrpcInvocation
from app.Contexts.Shared.Infrastructure.Grpc.Client.Channel.SharedChannel import SharedChannel
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.GrpcClientClosed import (
    GrpcClientClosed,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClientSettings import GrpcClientSettings
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcResponse import GrpcResponse
from app.Contexts.Shared.Infrastructure.Grpc.Client.Resilience.Rejection import Rejection

_CANCELLED_BY_CLOSE = GrpcResponse(
    grpc.StatusCode.CANCELLED, details="the client was closed while the call was in flight"
)


class Attempt:
    """One trip to the server, guarded by the circuit breaker, turned into a response.

    This is where grpcio's two failure channels (an ``RpcError`` raised by the
    blocking API or awaited from aio) become ``GrpcResponse`` values, and where
    every outcome is reported to the breaker. ``closed_error`` tells whether
    the owning client was closed, which decides how a cancellation is read.
    """

    def __init__(
        self,
        shared: SharedChannel,
        settings: GrpcClientSettings,
        closed_error: Callable[[], GrpcClientClosed | None],
    ) -> None:
        self._shared = shared
        self._settings = settings
        self._closed_error = closed_error

    def sync(self, invocation: GrpcInvocation, timeout: float) -> GrpcResponse:
        breaker, key = self._shared.breaker, self._breaker_key(invocation)
        if breaker is not None and not breaker.allow(key):
            return Rejection.circuit_open(key, breaker.retry_in(key))
        multicallable = self._shared.sync.unary_unary(invocation.method)
        try:
            reply, call = multicallable.with_call(
                invocation.message,
                timeout=timeout,
                metadata=invocation.metadata,
                compression=invocation.compression,
            )
        except grpc.RpcError as error:
            response = GrpcResponse.from_rpc_error(error)
        except ValueError as error:
            closed = self._closed_error()
            if closed is None:
                raise
            raise closed from error
        else:
            response = GrpcResponse.of_call(reply, call)
        if breaker is not None:
            breaker.record(key, response.status_code())
        return response

    async def aio(self, invocation: GrpcInvocation, seconds: float) -> GrpcResponse:
        """The attempt on this loop's aio channel; on a worker thread where grpc.aio cannot run.

        That is a child forked while grpc.aio ran (``GrpcAioPoller``). There the
        blocking API still works, at the cost of a thread per call and of a
        cancelled caller no longer cancelling the call, which runs to its deadline.
        """
        if not self._shared.aio.usable():
            return await asyncio.to_thread(self.sync, invocation, seconds)
        breaker, key = self._shared.breaker, self._breaker_key(invocation)
        if breaker is not None and not breaker.allow(key):
            return Rejection.circuit_open(key, breaker.retry_in(key))
        multicallable = self._shared.aio.unary_unary(invocation.method)
        call = multicallable(
            invocation.message,
            timeout=seconds,
            metadata=invocation.metadata,
            compression=invocation.compression,
        )
        try:
            reply = await call
        except grpc.RpcError as error:
            response = GrpcResponse.from_rpc_error(error)
        except asyncio.CancelledError:
            if not self._closed_mid_call():
                raise
            response = _CANCELLED_BY_CLOSE
        else:
            response = GrpcResponse.of_aio_call(reply, call)
        if breaker is not None:
            breaker.record(key, response.status_code())
        return response

    def _breaker_key(self, invocation: GrpcInvocation) -> str:
        if self._settings.circuit_breaker.scope == "method":
            return f"{self._settings.target}{invocation.method.path}"
        return self._settings.target

    def _closed_mid_call(self) -> bool:
        """Tell a call cut short by ``close()`` apart from the caller's task being cancelled.

        grpc.aio reports both as ``CancelledError``. Only the second belongs to
        the caller; the first is answered as grpcio's blocking API answers it,
        with a CANCELLED response.
        """
        task = asyncio.current_task()
        return self._closed_error() is not None and not (task is not None and task.cancelling())
