"""A call's outcome: ``grpc_request_client.GrpcResponse`` at the spec's import path."""

from grpc_request_client import GrpcResponse

__all__ = ["GrpcResponse"]
