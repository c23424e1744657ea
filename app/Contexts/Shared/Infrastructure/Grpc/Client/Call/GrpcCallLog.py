import logging
from time import perf_counter

import structlog

from app.Contexts.Shared.Infrastructure.Grpc.Client.Call.GrpcInvocation import GrpcInvocation
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcResponse import GrpcResponse
from app.Contexts.Shared.Infrastructure.Grpc.Client.Metadata.SensitiveMetadata import (
    SensitiveMetadata,
)

_log = structlog.get_logger("grpc.client")


class GrpcCallLog:
    """One structured event per finished call.

    Success is logged at debug and failure at warning, so a service logging at
    info pays only for a filtered-out method call on the happy path. A failure
    says whether its outcome is unknown (the server may have done the work). Failures
    carry the outgoing metadata to help debugging, each credential's value
    replaced by ``[redacted]`` (``SensitiveMetadata`` decides which); successes
    carry none, and the message body is never logged.
    """

    @staticmethod
    def _debug_enabled() -> bool:
        """Ask the configured logger first, so a filtered-out event costs no arguments.

        Binding through structlog's lazy proxy honours a ``structlog.configure``
        made after this module was imported; loggers without the question log.
        """
        enabled = getattr(_log.bind(), "is_enabled_for", None)
        return enabled is None or bool(enabled(logging.DEBUG))

    @staticmethod
    def finished(
        target: str, invocation: GrpcInvocation, response: GrpcResponse, started: float
    ) -> None:
        if response.is_success():
            if not GrpcCallLog._debug_enabled():
                return
            method = invocation.method
            _log.debug(
                "grpc.call.succeeded",
                service=method.service,
                method=method.name,
                target=target,
                code="OK",
                duration_ms=round((perf_counter() - started) * 1000, 3),
                trace_id=invocation.trace_id,
                correlation_id=invocation.correlation_id,
                request_id=invocation.request_id,
                attempts=response.attempts(),
            )
            return
        method = invocation.method
        _log.warning(
            "grpc.call.failed",
            service=method.service,
            method=method.name,
            target=target,
            code=response.status_code().name,
            details=response.details(),
            duration_ms=round((perf_counter() - started) * 1000, 3),
            trace_id=invocation.trace_id,
            correlation_id=invocation.correlation_id,
            request_id=invocation.request_id,
            attempts=response.attempts(),
            outcome_unknown=response.outcome_unknown(),
            metadata=dict(SensitiveMetadata.redact(invocation.metadata)),
        )
