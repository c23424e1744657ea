from __future__ import annotations

from typing import Any, Protocol

import grpc


class DemoServicer(Protocol):
    """A demo implementation of one service, able to describe its methods to a ``grpc.Server``.

    The handlers are built by hand from the protobuf message classes instead of
    the generated ``*_pb2_grpc`` glue, which is untyped and would leave the
    registration as the one unchecked call in this package.
    """

    def rpc_handler(self) -> grpc.GenericRpcHandler[Any, Any]: ...
