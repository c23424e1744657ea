"""The current request's ids: ``grpc_request_client.RequestContext`` at the spec's import path."""

from grpc_request_client import RequestContext

__all__ = ["RequestContext"]
