import asyncio
from collections.abc import Callable
from time import monotonic

import grpc

from app.Contexts.Shared.Infrastructure.Grpc.Client.Channel.SharedChannel import SharedChannel
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.GrpcClientClosed import (
    GrpcClientClosed,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcTimeout import (
    InvalidGrpcTimeout,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Options.TimeoutSeconds import TimeoutSeconds

# Closing a client only lets go of a shared channel, which nothing tells a wait about,
# so a wait looks up this often to see whether its client was closed meanwhile.
_CLOSE_CHECK_SECONDS = 0.1


class ChannelReadiness:
    """Waits until a client's channel has connected, for start-up checks.

    The answer is a bool, not an exception: a server that is not up (yet) is the
    server's state, which this client reports as a value, as it reports a failed
    call as a response. The caller decides what "not ready" means (exit, log and
    carry on, wait longer); the ``GrpcClientError`` tree stays for mistakes in the
    calling code, so a bad timeout or a closed client still raises.

    The channel waited on is the one calls use, so a successful wait leaves the
    connection open for the first call. A client closed during the wait answers
    ``False`` within ``_CLOSE_CHECK_SECONDS``, rather than holding its caller (a
    shutdown, say) until the timeout.
    """

    def __init__(
        self, shared: SharedChannel, closed_error: Callable[[], GrpcClientClosed | None]
    ) -> None:
        self._shared = shared
        self._closed_error = closed_error

    def wait(self, timeout: float) -> bool:
        deadline = monotonic() + self._seconds(timeout)
        ready = grpc.channel_ready_future(self._shared.sync.channel())
        try:
            while self._closed_error() is None and (left := deadline - monotonic()) > 0:
                try:
                    ready.result(timeout=min(left, _CLOSE_CHECK_SECONDS))
                except grpc.FutureTimeoutError:
                    continue
                return True
        finally:
            ready.cancel()
        return False

    async def wait_async(
        self,
        timeout: float,  # noqa: ASYNC109  # running out of time is the answer, not a cancellation
    ) -> bool:
        if not self._shared.aio.usable():
            return await asyncio.to_thread(self.wait, timeout)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._seconds(timeout)
        ready = asyncio.ensure_future(self._shared.aio.channel().channel_ready())
        try:
            while self._closed_error() is None and (left := deadline - loop.time()) > 0:
                await asyncio.wait((ready,), timeout=min(left, _CLOSE_CHECK_SECONDS))
                if ready.done():
                    # grpc raises UsageError here when the channel itself was closed.
                    return ready.exception() is None
        finally:
            ready.cancel()
        return False

    def _seconds(self, timeout: object) -> float:
        """The call rule for the timeout, then the closed check, before anything is opened."""
        seconds = TimeoutSeconds.parse(timeout, InvalidGrpcTimeout, "timeout")
        closed = self._closed_error()
        if closed is not None:
            raise closed
        return seconds
