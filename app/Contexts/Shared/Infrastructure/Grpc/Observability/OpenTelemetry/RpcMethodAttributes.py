from __future__ import annotations

from collections.abc import Mapping

import grpc
from opentelemetry.util.types import AttributeValue

from app.Contexts.Shared.Infrastructure.Grpc.Observability.OpenTelemetry.RpcSemanticConventions import (  # noqa: E501
    Attributes,
    RpcSemanticConventions,
)
from app.Contexts.Shared.Infrastructure.Grpc.Observability.OpenTelemetry.RpcServerAddress import (
    RpcServerAddress,
)


class RpcMethodAttributes:
    """One method on one target, named for spans and metrics once rather than on every call.

    ``name`` is the span name (``rpc.method``: ``user.UserService/GetUser``);
    ``span`` the attributes a span starts with (the method's and
    ``server.address``/``server.port``); ``metric(code)`` the attributes of a
    ``rpc.client.call.duration`` point for a call that ended with ``code`` (the
    current conventions' only, whatever the mode),
    made once per code; ``older_metric(code)`` those of the older
    ``rpc.client.duration``.
    """

    __slots__ = ("_conventions", "_current", "_metrics", "_older", "name", "span")

    def __init__(self, conventions: RpcSemanticConventions, path: str, target: str) -> None:
        self._conventions = conventions
        self.name = path[1:]
        address = RpcServerAddress.of(target)
        self.span: Attributes = {**conventions.span_method(path), **address}
        self._current: Attributes = {**conventions.method(path), **address}
        self._older: Attributes = {**conventions.older_method(path), **address}
        self._metrics: dict[grpc.StatusCode, Mapping[str, AttributeValue]] = {}

    def metric(self, code: grpc.StatusCode) -> Mapping[str, AttributeValue]:
        found = self._metrics.get(code)
        if found is None:
            found = self._metrics[code] = {**self._current, **self._conventions.ended(code)}
        return found

    def older_metric(self, code: grpc.StatusCode) -> Attributes:
        return {**self._older, **self._conventions.older_ended(code)}
