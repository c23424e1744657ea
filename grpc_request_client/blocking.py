"""Blocking calls made on a thread that runs an asyncio event loop: the check, and its warning.

A blocking method of the client (``call``, ``stream``, ``check_health``,
``wait_until_ready``...) made inside ``async def`` code holds the event loop's
thread until the server answers, and every other task of that loop (every other
request an async service is serving) waits with it. ``running_loop`` tells, on
every such call and as cheaply as Python can, whether this thread runs a loop;
``BlockedLoopWarner`` gives each client's ``EventLoopBlockedWarning`` once when it does.
"""

import asyncio
import inspect
import os
import warnings
from collections.abc import Callable
from types import FrameType

RunningLoop = Callable[[], asyncio.AbstractEventLoop | None]


class EventLoopBlockedWarning(RuntimeWarning):
    """A blocking method of a client ran on a thread whose asyncio event loop is running.

    The loop stood still until the method returned. The message names the
    method and its ``*_async`` twin, which awaits instead; code that must call
    the blocking one from async code runs it in a thread
    (``await asyncio.to_thread(client.call, request)``), where no loop runs.
    Given once per client, at the line that made the call: a service that
    blocks its loop on every request is told once, not on every request. The
    method still runs: it is a warning, so ``-W error::...EventLoopBlockedWarning``
    (or pytest's ``filterwarnings = error``) turns it into an exception.
    """


class RunningLoopCheck:
    """How to ask "is an event loop running on this thread?", chosen once, at import.

    The public way, ``asyncio.get_running_loop()``, raises ``RuntimeError``
    when none runs, and raising makes the question about six times dearer
    (some 350 ns instead of 60) on the path every blocking call of a sync
    service takes. ``asyncio``'s own
    ``_get_running_loop()`` (what ``get_running_loop`` calls, in C) returns
    ``None`` instead; it is private, so it is used only when the module has it,
    the public way otherwise.
    """

    @staticmethod
    def public() -> asyncio.AbstractEventLoop | None:
        """The loop running on this thread, or ``None``, through the public API."""
        try:
            return asyncio.get_running_loop()
        except RuntimeError:
            return None

    @staticmethod
    def chosen(module: object) -> RunningLoop:
        """``module._get_running_loop`` if it has a callable one; ``public`` otherwise."""
        private = getattr(module, "_get_running_loop", None)
        return private if callable(private) else RunningLoopCheck.public


running_loop: RunningLoop = RunningLoopCheck.chosen(asyncio)

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


class BlockedLoopWarner:
    """One client's ``EventLoopBlockedWarning``: given the first time only.

    ``warn`` is called once ``running_loop()`` found a loop. The warning points
    at the caller's line and names the method it called: the first frame
    outside this package, and the last one inside it (``check_health``, not the
    ``call`` it makes), as Python 3.12's ``warnings.warn(skip_file_prefixes=)``
    finds the caller.
    """

    __slots__ = ("_warned",)

    def __init__(self) -> None:
        self._warned = False

    def warn(self) -> None:
        if self._warned:
            return
        self._warned = True
        level, method = _caller(inspect.currentframe())
        warnings.warn(_message(method), EventLoopBlockedWarning, stacklevel=level)


def _caller(frame: FrameType | None) -> tuple[int, str | None]:
    """The ``stacklevel`` of the first frame outside the package, and the method it called.

    ``frame`` is ``warn``'s own (level 1); ``None`` on an interpreter without
    frames to walk, which leaves ``warn``'s caller and no name.
    """
    level, method = 1, None
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        method = frame.f_code.co_qualname
        frame = frame.f_back
        level += 1
    return max(level, 2), method


def _message(method: str | None) -> str:
    """``GrpcClient.check_health()`` is told of ``check_health_async()``."""
    if method is None:
        called, twin = "a blocking method of the client", "its *_async twin"
    else:
        called, twin = f"{method}()", method.rpartition(".")[2] + "_async()"
    return (
        f"{called} was called on a thread running an asyncio event loop, which it blocks until "
        f"it returns; use {twin} in async code, or run it in a thread (asyncio.to_thread). "
        "Warned once per client."
    )
