from __future__ import annotations

import asyncio
from typing import Any

import grpc

_OK = grpc.StatusCode.OK
# What grpc throws into a handler it stops: a task cancelled (grpc.aio), a generator closed (sync).
_STOPPED = (asyncio.CancelledError, GeneratorExit)


class HandlerOutcome:
    """The status a server handler ended its call with: what ``grpc_server_handled_total`` counts.

    As go-grpc-middleware's server interceptor takes the status of the error
    its handler returned, in grpc's Python terms:

    1. a handler grpc stopped (the client cancelled, the deadline passed: a
       task cancelled on grpc.aio, a reply generator closed or the request
       iterator failing on sync grpc) ended with DEADLINE_EXCEEDED if its
       deadline has passed, CANCELLED if not;
    2. otherwise, with the code it set (``context.set_code``, or
       ``context.abort``, which sets it and raises): an abort is its code, not
       the exception's;
    3. otherwise OK if it returned (or its replies ran out), UNKNOWN if it
       raised, which is what grpc answers for an unexpected exception.

    ``context`` is the call's servicer context; one that cannot tell its code
    (grpc.aio's for plain handlers) is wrapped in ``CodeKeepingContext`` first.
    """

    @staticmethod
    def code(context: Any, error: BaseException | None) -> grpc.StatusCode:
        """The status for a handler that returned (``error`` ``None``) or raised ``error``."""
        if error is not None and HandlerOutcome._stopped(context, error):
            remaining = context.time_remaining()
            if remaining is not None and remaining <= 0:
                return grpc.StatusCode.DEADLINE_EXCEEDED
            return grpc.StatusCode.CANCELLED
        code = context.code()
        if isinstance(code, grpc.StatusCode) and (error is None or code is not _OK):
            return code
        return _OK if error is None else grpc.StatusCode.UNKNOWN

    @staticmethod
    def _stopped(context: Any, error: BaseException) -> bool:
        """Whether grpc stopped the handler, rather than the handler failing by itself.

        Sync grpc's request iterator raises a bare ``grpc.RpcError`` once the
        call is over; the call being no longer active tells it from an error of
        the handler's own (a call of its own that failed, say).
        """
        if isinstance(error, _STOPPED):
            return True
        return (
            isinstance(error, grpc.RpcError)
            and isinstance(context, grpc.ServicerContext)
            and not context.is_active()
        )
