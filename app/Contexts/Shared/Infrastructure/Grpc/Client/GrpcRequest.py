"""The request interface: ``grpc_request_client.GrpcRequest`` at the spec's import path."""

from grpc_request_client import GrpcRequest

__all__ = ["GrpcRequest"]
