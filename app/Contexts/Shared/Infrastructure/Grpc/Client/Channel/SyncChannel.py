from __future__ import annotations

import threading
from typing import Any

import grpc

from app.Contexts.Shared.Infrastructure.Grpc.Client.Channel.ChannelFactory import ChannelFactory
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.GrpcClientClosed import (
    GrpcClientClosed,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClientSettings import GrpcClientSettings
from app.Contexts.Shared.Infrastructure.Grpc.Client.Method.GrpcMethod import GrpcMethod
from app.Contexts.Shared.Infrastructure.Lifecycle.AfterFork import AfterFork

# grpc-core's READY, as grpc/_common.py maps cygrpc's connectivity states.
_READY = 2
# The channel method that makes each call kind's multicallable.
MULTICALLABLES = {
    "unary": "unary_unary",
    "client_stream": "stream_unary",
    "server_stream": "unary_stream",
    "bidi_stream": "stream_stream",
}


class SyncChannel:
    """The client's one blocking channel: opened on first use, shared by every thread.

    grpc channels are thread-safe and multiplex calls over one HTTP/2
    connection, so one per client is right. Multicallables are built once per
    method, like a generated stub's, since building one per call is measurable;
    ``_registered_method`` is what generated stubs pass too, so the path is
    interned in grpc-core once instead of per call. The lock only guards
    opening and closing; the hot path is a dict lookup.

    A forked child lets go of the channel it inherited, without closing it
    (see ``AfterFork``), and opens its own on first use: the inherited one
    shares its connection and grpc-core state with the parent.
    """

    def __init__(self, settings: GrpcClientSettings) -> None:
        self._settings = settings
        self._channel: grpc.Channel | None = None
        self._callables: dict[GrpcMethod, Any] = {}
        self._lock = threading.Lock()
        self._closed = False
        AfterFork.register(self, in_child=SyncChannel._forget_inherited)

    def multicallable(self, method: GrpcMethod) -> Any:
        """The method's multicallable, of its kind (``stream_stream`` for a bidi method...)."""
        found = self._callables.get(method)
        if found is None:
            found = self._create(method)
        return found

    def connected(self) -> bool:
        """Whether the channel is READY now, without making it connect.

        grpcio's blocking channel has no public getter for its state (its own
        ``_poll_connectivity`` reads it the same way); should that inner API
        go, the answer is ``True``, the one that proves nothing (``SendEvidence``).
        """
        channel = self._channel
        if channel is None:
            return False
        try:
            state = channel._channel.check_connectivity_state(False)  # type: ignore[attr-defined]
        except AttributeError:
            return True
        return bool(state == _READY)

    def channel(self) -> grpc.Channel:
        """The grpc channel itself, for what a multicallable cannot do: wait to connect."""
        with self._lock:
            return self._opened()

    def _create(self, method: GrpcMethod) -> Any:
        with self._lock:
            channel = self._opened()
            found = self._callables.get(method)
            if found is None:
                found = self._callables[method] = getattr(channel, MULTICALLABLES[method.kind])(
                    method.path,
                    _registered_method=True,  # grpc-stubs predates it; generated stubs pass it
                )
        return found

    def _opened(self) -> grpc.Channel:
        if self._closed:
            raise GrpcClientClosed(f"client for {self._settings.target} is closed")
        if self._channel is None:
            self._channel = ChannelFactory.sync(self._settings)
        return self._channel

    def _forget_inherited(self) -> None:
        AfterFork.abandon(self._channel, self._callables)
        self._lock = threading.Lock()
        self._channel = None
        self._callables = {}

    def close(self) -> None:
        with self._lock:
            self._closed = True
            channel, self._channel = self._channel, None
            self._callables.clear()
        if channel is not None:
            channel.close()
