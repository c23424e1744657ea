import asyncio
from time import perf_counter
from types import TracebackType
from typing import Self, cast

import grpc

from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcCallLog import GrpcCallLog
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcInvocation import GrpcInvocation
from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.TimeoutSeconds import TimeoutSeconds
from app.Contexts.Shared.Infrastructure.Grpc.Client.Channel.AsyncChannels import AsyncChannels
from app.Contexts.Shared.Infrastructure.Grpc.Client.Channel.SyncChannel import SyncChannel
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.GrpcClientClosed import (
    GrpcClientClosed,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcRequest import (
    InvalidGrpcRequest,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcTimeout import (
    InvalidGrpcTimeout,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClientSettings import (
    ChannelOptionsInput,
    GrpcClientSettings,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcRequest import GrpcRequest
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcResponse import GrpcResponse, RawMetadata
from app.Contexts.Shared.Infrastructure.Grpc.Client.Metadata.OutgoingMetadata import (
    OutgoingMetadata,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Method.GrpcMethodCatalog import (
    GrpcMethodCatalog,
)
from app.Contexts.Shared.Infrastructure.Http.Context.RequestContext import RequestContext

_METHODS = GrpcMethodCatalog()
_OK = grpc.StatusCode.OK
_CANCELLED_BY_CLOSE = GrpcResponse(
    grpc.StatusCode.CANCELLED, details="the client was closed while the call was in flight"
)


class GrpcClient:
    """Runs ``GrpcRequest`` objects against one target and returns ``GrpcResponse`` values.

    Every check happens before anything is sent, and a mistake in the calling
    code is raised as a named ``GrpcClientError``; whatever happens after that
    (the server's answer, a deadline, a dropped connection) comes back as a
    response. Connections open on first use: one blocking channel shared by all
    threads, and one aio channel per event loop for ``call_async``.
    """

    def __init__(
        self,
        target: str,
        *,
        default_timeout: float = 30.0,
        max_send_message_length: int | None = None,
        max_receive_message_length: int | None = None,
        compression: grpc.Compression | str | None = None,
        options: ChannelOptionsInput = (),
        load_balancing: str | None = None,
    ) -> None:
        self._settings = GrpcClientSettings.create(
            target,
            default_timeout=default_timeout,
            max_send_message_length=max_send_message_length,
            max_receive_message_length=max_receive_message_length,
            compression=compression,
            options=options,
            load_balancing=load_balancing,
        )
        self._sync = SyncChannel(self._settings)
        self._async = AsyncChannels(self._settings)
        self._closed = False

    @property
    def settings(self) -> GrpcClientSettings:
        return self._settings

    def call(self, request: GrpcRequest) -> GrpcResponse:
        invocation = self._prepare(request)
        multicallable = self._sync.unary_unary(invocation.method)
        started = perf_counter()
        try:
            reply, call = multicallable.with_call(
                invocation.message, timeout=invocation.timeout, metadata=invocation.metadata
            )
        except grpc.RpcError as error:
            response = GrpcResponse.from_rpc_error(error)
        except ValueError as error:
            if self._closed:
                raise self._closed_error() from error
            raise
        else:
            response = GrpcResponse(
                _OK,
                reply,
                "",
                cast(RawMetadata, call.initial_metadata() or ()),
                cast(RawMetadata, call.trailing_metadata() or ()),
            )
        GrpcCallLog.finished(self._settings.target, invocation, response, started)
        return response

    async def call_async(self, request: GrpcRequest) -> GrpcResponse:
        invocation = self._prepare(request)
        multicallable = self._async.unary_unary(invocation.method)
        started = perf_counter()
        call = multicallable(
            invocation.message, timeout=invocation.timeout, metadata=invocation.metadata
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
            response = GrpcResponse(
                _OK, reply, "", await call.initial_metadata(), await call.trailing_metadata()
            )
        GrpcCallLog.finished(self._settings.target, invocation, response, started)
        return response

    def _prepare(self, request: GrpcRequest) -> GrpcInvocation:
        if self._closed:
            raise self._closed_error()
        if not isinstance(request, GrpcRequest):
            raise InvalidGrpcRequest(f"expected a GrpcRequest, got {type(request).__qualname__}")
        message = request.message()  # first: the seed's requests import their *_pb2 module in it
        method = _METHODS.resolve(request)
        method.check(message)
        timeout = request.timeout()
        seconds = (
            self._settings.default_timeout
            if timeout is None
            else TimeoutSeconds.parse(timeout, InvalidGrpcTimeout, "timeout()")
        )
        metadata, trace_id = OutgoingMetadata.build(
            request.metadata(), RequestContext.get_trace_id()
        )
        return GrpcInvocation(method, message, metadata, seconds, trace_id)

    def _closed_mid_call(self) -> bool:
        """Tell a call cut short by ``close()`` apart from the caller's task being cancelled.

        grpc.aio reports both as ``CancelledError``. Only the second belongs to
        the caller; the first is answered as grpcio's blocking API answers it,
        with a CANCELLED response.
        """
        task = asyncio.current_task()
        return self._closed and not (task is not None and task.cancelling())

    def _closed_error(self) -> GrpcClientClosed:
        return GrpcClientClosed(f"client for {self._settings.target} is closed")

    def close(self) -> None:
        """Close every connection; safe from sync code, inside a running loop, and twice."""
        self._closed = True
        self._sync.close()
        self._async.close()

    async def aclose(self, grace: float | None = None) -> None:
        """Close, letting this loop's in-flight calls finish for up to ``grace`` seconds."""
        self._closed = True
        self._sync.close()
        await self._async.aclose(grace)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<GrpcClient {self._settings.target} {state}>"
