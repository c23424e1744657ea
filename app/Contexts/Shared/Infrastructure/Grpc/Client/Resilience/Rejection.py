import grpc

from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcResponse import GrpcResponse


class Rejection:
    """Answers for calls refused before reaching the network: zero attempts, said plainly.

    UNAVAILABLE for an open circuit, since callers already treat that code as
    "try later"; RESOURCE_EXHAUSTED for a full bulkhead, as a server would
    answer when overloaded.
    """

    @staticmethod
    def circuit_open(key: str, retry_in: float) -> GrpcResponse:
        return GrpcResponse(
            grpc.StatusCode.UNAVAILABLE,
            details=f"circuit open for {key}: not called; next probe in {retry_in:.1f} s",
            attempts=0,
        )

    @staticmethod
    def bulkhead_full(target: str, limit: int) -> GrpcResponse:
        return GrpcResponse(
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            details=f"bulkhead full: {limit} calls already in flight to {target}",
            attempts=0,
        )

    @staticmethod
    def deadline_spent(target: str, timeout: float) -> GrpcResponse:
        """No time was left to send the call: a bulkhead wait spent it, or it was under 1 ms."""
        return GrpcResponse(
            grpc.StatusCode.DEADLINE_EXCEEDED,
            details=f"deadline of {timeout:g} s to {target} passed before the call could be "
            "sent (waiting for a bulkhead slot, or a timeout under 1 ms); not sent",
            attempts=0,
        )
