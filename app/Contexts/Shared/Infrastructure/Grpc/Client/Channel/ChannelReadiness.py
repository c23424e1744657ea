import asyncio
from collections.abc import Callable
from time import monotonic

import grpc
import grpc.aio

from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.TimeoutSeconds import TimeoutSeconds
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.GrpcClientClosed import (
    GrpcClientClosed,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcTimeout import (
    InvalidGrpcTimeout,
)

# grpc's ready future is never told that its channel was closed (close() drops its
# subscription), so a blocking wait looks up from it this often to notice close().
_CLOSE_CHECK_SECONDS = 0.1


class ChannelReadiness:
    """Waits until a client's own channel has connected, for start-up checks.

    The answer is a bool, not an exception: a server that is not up (yet) is the
    server's state, which this client reports as a value, as it reports a failed
    call as a response. The caller decides what "not ready" means (exit, log and
    carry on, wait longer); the ``GrpcClientError`` tree stays for mistakes in the
    calling code, so a bad timeout or a closed client still raises.

    The channel waited on is the one calls use, so a successful wait leaves the
    connection open for the first call. A client closed during the wait answers
    ``False``, as a call cut short by ``close()`` answers CANCELLED.
    """

    @staticmethod
    def wait(channel: Callable[[], grpc.Channel], timeout: float) -> bool:
        """Block until connected; ``channel`` raises ``GrpcClientClosed`` once the client closes."""
        deadline = monotonic() + ChannelReadiness._seconds(timeout)
        ready = grpc.channel_ready_future(channel())
        try:
            while (left := deadline - monotonic()) > 0:
                try:
                    ready.result(timeout=min(left, _CLOSE_CHECK_SECONDS))
                except grpc.FutureTimeoutError:
                    channel()
                else:
                    return True
        except GrpcClientClosed:
            return False
        finally:
            ready.cancel()
        return False

    @staticmethod
    async def wait_async(
        channel: Callable[[], grpc.aio.Channel],
        timeout: float,  # noqa: ASYNC109  # running out of time is the answer, not a cancellation
    ) -> bool:
        """Wait on this loop's channel; closing it makes grpc raise ``UsageError`` at once."""
        seconds = ChannelReadiness._seconds(timeout)
        opened = channel()
        try:
            async with asyncio.timeout(seconds):
                await opened.channel_ready()
        except (TimeoutError, grpc.aio.UsageError):
            return False
        return True

    @staticmethod
    def _seconds(timeout: object) -> float:
        return TimeoutSeconds.parse(timeout, InvalidGrpcTimeout, "timeout")
