"""The request base class: ``grpc_request_client.BaseGrpcRequest`` at the spec's import path."""

from grpc_request_client import BaseGrpcRequest

__all__ = ["BaseGrpcRequest"]
