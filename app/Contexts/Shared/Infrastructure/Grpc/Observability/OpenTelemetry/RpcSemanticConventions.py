from __future__ import annotations

import os
from collections.abc import Mapping

import grpc
from opentelemetry.util.types import AttributeValue

Attributes = dict[str, AttributeValue]
OPT_IN = "OTEL_SEMCONV_STABILITY_OPT_IN"
# Ended-span attribute sets kept, by status code and attempt count (counts are small).
_MOST_ATTEMPT_COUNTS = 256
# The advised bucket boundaries of rpc.client.call.duration and rpc.server.call.duration, seconds.
ADVISED_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10)
# The statuses a server's span counts as errors (the RPC conventions' gRPC page): the others are
# the caller's doing.
_SERVER_ERRORS = frozenset(
    {
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.UNIMPLEMENTED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DATA_LOSS,
    }
)


class RpcSemanticConventions:
    """The attributes of OpenTelemetry's RPC semantic conventions for a gRPC call, in one place.

    The current conventions (``semantic-conventions``' RPC pages, v1.39 on):
    ``rpc.system.name`` = ``grpc``; ``rpc.method``, fully qualified
    (``user.UserService/GetUser``), which is also the span's name; the status
    code as its name (``OK``, ``DEADLINE_EXCEEDED``) under
    ``rpc.response.status_code`` (v1.39 to v1.44) and ``rpc.status_code`` (its
    name since the August 2026 rename), both set so queries written for either
    release find it; and ``error.type``, the status code, when the call failed.

    ``OTEL_SEMCONV_STABILITY_OPT_IN`` picks the set, as the conventions'
    migration guide says: ``rpc`` (or no value: this library has no older
    telemetry to stay compatible with, so it starts on the current set) emits
    the current attributes only; ``rpc/dup`` emits the older ones too: on
    spans (``rpc.system``, ``rpc.service``, ``rpc.grpc.status_code`` as an
    integer), and as the ``rpc.client.duration`` histogram in milliseconds
    (``rpc.client.call.duration`` keeps the current set alone). Where both sets
    use one name (``rpc.method``: fully qualified now, the bare method before),
    a span keeps the current value; the older histogram, which is a metric of
    its own, has the older value. Read once, when a stage or interceptor is
    made, or given as ``opt_in``.
    """

    def __init__(self, opt_in: str | None = None) -> None:
        chosen = os.environ.get(OPT_IN, "") if opt_in is None else opt_in
        self.duplicate = "rpc/dup" in {token.strip() for token in chosen.split(",")}
        self._ended: dict[tuple[grpc.StatusCode, bool, bool], Attributes] = {}
        self._client_spans: dict[tuple[grpc.StatusCode, int | None], Attributes] = {}

    @staticmethod
    def method(path: str) -> Attributes:
        """What names method ``path`` (``/package.Service/Method``) in a current-set metric."""
        return {"rpc.system.name": "grpc", "rpc.method": path[1:]}

    def span_method(self, path: str) -> Attributes:
        """What names the method on a span: the current set, and the older one with ``rpc/dup``."""
        attributes = self.method(path)
        if self.duplicate:
            attributes["rpc.system"] = "grpc"
            attributes["rpc.service"] = path[1:].rpartition("/")[0]
        return attributes

    @staticmethod
    def older_method(path: str) -> Attributes:
        """What named the method in the older conventions, for ``rpc.client.duration``."""
        service, _, method = path[1:].rpartition("/")
        return {"rpc.system": "grpc", "rpc.service": service, "rpc.method": method}

    def ended(self, code: grpc.StatusCode) -> Mapping[str, AttributeValue]:
        """How a call ended with ``code``, in a current-set metric: made once per code."""
        return self._status(code, on_span=False, served=False)

    def span_ended(
        self, code: grpc.StatusCode, attempts: int | None
    ) -> Mapping[str, AttributeValue]:
        """How a client's call ended with ``code`` after ``attempts``, on its span, in one mapping.

        ``rpc/dup``: both sets; ``grpc.attempts`` when it is not 1 (0: refused
        unsent, 2 and more: retried) and not ``None`` (a call abandoned with an
        exception), as the HTTP conventions set ``http.request.resend_count``
        only for a request resent. Made once per code and count.
        """
        key = (code, attempts)
        found = self._client_spans.get(key)
        if found is None:
            found = dict(self._status(code, on_span=True, served=False))
            if attempts is not None and attempts != 1:
                found["grpc.attempts"] = attempts
            if len(self._client_spans) < _MOST_ATTEMPT_COUNTS:
                self._client_spans[key] = found
        return found

    def served(self, code: grpc.StatusCode) -> Mapping[str, AttributeValue]:
        """How a server's call ended with ``code``, on its span; ``error.type`` if its fault."""
        return self._status(code, on_span=True, served=True)

    @staticmethod
    def older_ended(code: grpc.StatusCode) -> Attributes:
        """The older conventions' status: ``rpc.grpc.status_code``, an integer."""
        return {"rpc.grpc.status_code": code.value[0]}

    @staticmethod
    def is_server_error(code: grpc.StatusCode) -> bool:
        """Whether a server's span for a call that ended with ``code`` is an error."""
        return code in _SERVER_ERRORS

    def _status(
        self, code: grpc.StatusCode, *, on_span: bool, served: bool
    ) -> Mapping[str, AttributeValue]:
        key = (code, on_span, served)
        found = self._ended.get(key)
        if found is None:
            found = {"rpc.response.status_code": code.name, "rpc.status_code": code.name}
            failed = self.is_server_error(code) if served else code is not grpc.StatusCode.OK
            if failed:
                found["error.type"] = code.name
            if on_span and self.duplicate:
                found.update(self.older_ended(code))
            self._ended[key] = found
        return found
