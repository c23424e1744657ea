from __future__ import annotations

from typing import Any

import grpc


class CodeKeepingContext:
    """The context grpc.aio gives a plain (``def``) handler, made to tell the code set on it.

    grpc.aio runs plain handlers on its thread pool with a context that sets a
    status code (``set_code``, ``abort``) but, unlike every other servicer
    context, has no ``code()`` to read it back, so ``HandlerOutcome`` could not
    tell an abort from a crash. This wrapper keeps what the handler set and
    passes every call on to the context it wraps, unchanged.
    """

    def __init__(self, context: Any) -> None:
        self._context = context
        self._code: grpc.StatusCode | None = None

    def code(self) -> grpc.StatusCode | None:
        """The code the handler set or aborted with; ``None`` while it has set none."""
        return self._code

    def set_code(self, code: grpc.StatusCode) -> None:
        self._code = code
        self._context.set_code(code)

    def abort(self, code: grpc.StatusCode, details: str = "", trailing_metadata: Any = ()) -> None:
        """Abort the call, as the wrapped context does (it raises); the code is kept first."""
        self._code = code
        self._context.abort(code, details, trailing_metadata)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)
