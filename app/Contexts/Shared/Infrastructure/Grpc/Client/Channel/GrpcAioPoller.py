import gc
import threading
from typing import ClassVar

from app.Contexts.Shared.Infrastructure.Lifecycle.AfterFork import AfterFork

# grpc.aio's poller is a plain threading.Thread whose target is _poll_wrapper, so Python
# names it "Thread-N (_poll_wrapper)" (_cygrpc/aio/completion_queue.pyx.pxi).
_POLLER_NAME_ENDS = "(_poll_wrapper)"
# How long a fork waits for a poller thread to finish exiting. grpcio's shutdown returns
# once the poller has seen the queue's shutdown, while the thread may still be leaving
# grpc-core; a child forked then inherits a lock it held and hangs in its first channel.
_EXIT_WAIT_SECONDS = 0.25


class GrpcAioPoller:
    """Whether grpc.aio can work in this process, which a fork at the wrong time takes away.

    grpc.aio hands every completion to asyncio through one poller thread per
    process, started by the first aio channel and joined once the last one is
    deallocated (the reference count in ``_cygrpc/aio/grpc_aio.pyx.pxi``). A
    child forked while that thread ran inherits the count but not the thread:
    its aio calls never complete, or grpc-core aborts the process
    (``Check failed: next_worker->state == KICKED`` in ``ev_epoll1_linux.cc``),
    and grpcio offers no way to start it again. ``AsyncChannels`` closes the
    channels of loops that are not running before a fork so that the thread is
    gone by then; what keeps it alive is an aio channel of a loop still running
    (a fork from inside a coroutine, or a loop in another thread), or any
    grpc.aio object the application made and still holds (a ``GrpcResponse``
    holds none). Then ``usable`` is false in
    the child, and ``call_async`` goes through the blocking API on a worker
    thread instead.
    """

    _ran_at_fork: ClassVar[bool] = False
    # A plain attribute rather than a method: every ``call_async`` reads it.
    usable: ClassVar[bool] = True

    @staticmethod
    def _note(poller: "type[GrpcAioPoller]") -> None:
        """Before a fork: let a stopping poller finish; note whether one still runs.

        A poller that still serves a running loop makes the fork wait
        ``_EXIT_WAIT_SECONDS`` before it is noted as running.
        """
        if poller._pollers():
            # A closed channel caught in a reference cycle (a cancelled task's frame, say)
            # is deallocated, and so lets the poller stop, only when the cycle is collected.
            gc.collect()
        for thread in poller._pollers():
            thread.join(_EXIT_WAIT_SECONDS)
        poller._ran_at_fork = bool(poller._pollers())

    @staticmethod
    def _pollers() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name.endswith(_POLLER_NAME_ENDS)]

    @staticmethod
    def _inherit(poller: "type[GrpcAioPoller]") -> None:
        poller.usable = poller.usable and not poller._ran_at_fork


# Registered at import, before any channel's hooks: AfterFork runs ``before`` hooks newest
# first, so this looks for the poller after every AsyncChannels has closed what it could.
AfterFork.register(GrpcAioPoller, before=GrpcAioPoller._note, in_child=GrpcAioPoller._inherit)
