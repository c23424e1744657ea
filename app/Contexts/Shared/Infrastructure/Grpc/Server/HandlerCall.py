from __future__ import annotations

from typing import Any, Protocol

import grpc


class HandlerCall(Protocol):
    """One call of a method handler, as an ``ObservedHandler`` tells its observer of it.

    ``enter()`` is called before each step of the handler's behaviour runs (its
    body, or the making of each streamed reply) and ``leave(token)`` after it,
    with what ``enter`` returned, on the same thread or task: where a tracer
    makes the call's span current. ``ended(code)`` is called once, when the
    behaviour ended, with the status it ended with (``HandlerOutcome``).
    """

    def enter(self) -> Any:
        """Before a step of the behaviour: a token for ``leave``."""

    def leave(self, token: Any) -> None:
        """After that step, whatever it did."""

    def ended(self, code: grpc.StatusCode) -> None:
        """The behaviour ended with ``code``."""
