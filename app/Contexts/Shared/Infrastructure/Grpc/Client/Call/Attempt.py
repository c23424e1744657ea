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
    every outcome is settled with the breaker: its code, or ``None`` when the
    attempt was abandoned (an exception, a cancellation, the client closed).
    ``closed_error`` tells whether the owning client was closed, which decides
    how a cancellation is read.
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
        if breaker is None:
            return self._sync_call(invocation, timeout)
        permit = breaker.admit(key)
        if permit is None:
            return Rejection.circuit_open(key, breaker.retry_in(key))
        code: grpc.StatusCode | None = None
        try:
            response = self._sync_call(invocation, timeout)
            code = response.status_code()
            return response
        finally:
            breaker.settle(permit, code)

    def _sync_call(self, invocation: GrpcInvocation, timeout: float) -> GrpcResponse:
        multicallable = self._shared.sync.unary_unary(invocation.method)
        try:
            reply, call = multicallable.with_call(
                invocation.message,
                timeout=timeout,
                metadata=invocation.metadata,
                compression=invocation.compression,
            )
        except grpc.RpcError as error:
            return GrpcResponse.from_rpc_error(error)
        except ValueError as error:
            closed = self._closed_error()
            if closed is None:
                raise
            raise closed from error
        return GrpcResponse.of_call(reply, call)

    async def aio(self, invocation: GrpcInvocation, seconds: float) -> GrpcResponse:
        breaker, key = self._shared.breaker, self._breaker_key(invocation)
        if breaker is None:
            return await self._aio_call(invocation, seconds)
        permit = breaker.admit(key)
        if permit is None:
            return Rejection.circuit_open(key, breaker.retry_in(key))
        code: grpc.StatusCode | None = None
        try:
            response = await self._aio_call(invocation, seconds)
            if response is not _CANCELLED_BY_CLOSE:
                code = response.status_code()
            return response
        finally:
            breaker.settle(permit, code)

    async def _aio_call(self, invocation: GrpcInvocation, seconds: float) -> GrpcResponse:
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
            return GrpcResponse.from_rpc_error(error)
        except asyncio.CancelledError:
            if not self._closed_mid_call():
                raise
            return _CANCELLED_BY_CLOSE
        return GrpcResponse.of_aio_call(reply, call)

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
