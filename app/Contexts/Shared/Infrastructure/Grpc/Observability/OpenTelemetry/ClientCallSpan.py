from __future__ import annotations

from time import perf_counter

from opentelemetry.trace import Span

from app.Contexts.Shared.Infrastructure.Grpc.Observability.OpenTelemetry.RpcMethodAttributes import (  # noqa: E501
    RpcMethodAttributes,
)


class ClientCallSpan:
    """A call's state in ``OpenTelemetryClientStage``: its span, what names it, when it began.

    ``began`` is a ``perf_counter`` reading, for ``rpc.client.call.duration``;
    ``made_up_parent`` whether the span's parent is a ``TraceIdParent`` (a trace
    id with no span); ``names_trace`` whether the span's trace id is to be sent
    as ``x-trace-id`` (the request context had none of its own).
    """

    __slots__ = ("began", "made_up_parent", "method", "names_trace", "span")

    def __init__(
        self, span: Span, method: RpcMethodAttributes, *, made_up_parent: bool, names_trace: bool
    ) -> None:
        self.span = span
        self.method = method
        self.made_up_parent = made_up_parent
        self.names_trace = names_trace
        self.began = perf_counter()
