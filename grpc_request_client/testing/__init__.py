"""Test doubles for code that calls gRPC: a fake client, a real in-process server, fixtures.

``FakeGrpcClient`` is the real client's API with scripted answers; ``GrpcTestServer``
serves real servicers on ``127.0.0.1`` on a free port. The fixtures are in
``grpc_request_client.testing.pytest_plugin``: load them with
``pytest_plugins = ["grpc_request_client.testing.pytest_plugin"]``.
"""

from grpc_request_client.testing.errors import (
    FakeStreamStalled,
    GrpcTestingError,
    InvalidFakeAnswer,
    InvalidGrpcTestServerSettings,
    InvalidServicer,
)
from grpc_request_client.testing.fake import FakeGrpcClient, RecordedCall, RecordedCalls
from grpc_request_client.testing.server import GrpcTestServer

__all__ = [
    "FakeGrpcClient",
    "FakeStreamStalled",
    "GrpcTestServer",
    "GrpcTestingError",
    "InvalidFakeAnswer",
    "InvalidGrpcTestServerSettings",
    "InvalidServicer",
    "RecordedCall",
    "RecordedCalls",
]
