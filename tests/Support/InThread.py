import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any, TypeVar

T = TypeVar("T")


class InThread:
    """A blocking call awaited from async test code: run in a thread, never on the test's loop.

    On the loop it would block it (``EventLoopBlockedWarning``). As
    ``asyncio.to_thread`` does, it runs in a copy of the caller's context
    (``RequestContext``, the active span); unlike it, cancelling the awaiting
    task waits for the call to return before the ``CancelledError`` goes on,
    since a blocking call cannot be cancelled: a test goes on only once the
    call is over, as when the call held the loop itself.
    """

    @staticmethod
    async def run(
        function: Callable[..., T], *args: Any, executor: Executor | None = None, **kwargs: Any
    ) -> T:
        context = contextvars.copy_context()
        call = functools.partial(context.run, function, *args, **kwargs)
        done = asyncio.get_running_loop().run_in_executor(executor, call)
        try:
            return await asyncio.shield(done)
        except asyncio.CancelledError:
            await asyncio.wait([done])
            raise
