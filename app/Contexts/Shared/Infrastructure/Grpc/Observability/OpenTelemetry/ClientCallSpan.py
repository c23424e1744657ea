from __future__ import annotations

from time import perf_counter

from opentelemetry.trace import Span

from app.Contexts.Shared.Infrastructure.Grpc.Observability.OpenTelemetry.RpcMethodAttributes import (  # noqa: E501
    RpcMethodAttributes,
)


class ClientCallSpan:
    """A call's state in ``OpenTelemetryClientStage``: its span, what names it, when it began.

    ``began`` is a ``perf_counter`` reading, for ``rpc.client.call.duration``.
    """

    __slots__ = ("began", "method", "span")

    def __init__(self, span: Span, method: RpcMethodAttributes) -> None:
        self.span = span
        self.method = method
        self.began = perf_counter()
