"""The service's gRPC client: ``grpc_request_client.GrpcClient`` at the spec's import path."""

from grpc_request_client import GrpcClient

__all__ = ["GrpcClient"]
