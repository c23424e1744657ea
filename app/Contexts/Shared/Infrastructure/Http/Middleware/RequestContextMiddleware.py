"""ASGI middleware: ``grpc_request_client.RequestContextMiddleware`` at the spec's import path."""

from grpc_request_client import RequestContextMiddleware

__all__ = ["RequestContextMiddleware"]
