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
    info pays only for a filtered-out method call on the happy path. Failures
    carry the outgoing metadata to help debugging, with credential-like values
    redacted; the message body is never logged.
    """

    @staticmethod
    def finished(
        target: str, invocation: GrpcInvocation, response: GrpcResponse, started: float
    ) -> None:
        method = invocation.method
        duration_ms = round((perf_counter() - started) * 1000, 3)
        if response.is_success():
            _log.debug(
                "grpc.call.succeeded",
                service=method.service,
                method=method.name,
                target=target,
                code="OK",
                duration_ms=duration_ms,
                trace_id=invocation.trace_id,
                attempts=response.attempts(),
            )
            return
        _log.warning(
            "grpc.call.failed",
            service=method.service,
            method=method.name,
            target=target,
            code=response.status_code().name,
            details=response.details(),
            duration_ms=duration_ms,
            trace_id=invocation.trace_id,
            attempts=response.attempts(),
            metadata=dict(SensitiveMetadata.redact(invocation.metadata)),
        )
