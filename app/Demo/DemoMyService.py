from __future__ import annotations

from typing import Any

import grpc

from app.Demo.DemoMetadata import DemoMetadata
from protos.my_pb2 import MyRequest, MyResponse


class DemoMyService:
    """``my.Service``: ``MyMethod`` answers with the ``x-trace-id`` the server received."""

    def rpc_handler(self) -> grpc.GenericRpcHandler[Any, Any]:
        return grpc.method_handlers_generic_handler(
            "my.Service",
            {
                "MyMethod": grpc.unary_unary_rpc_method_handler(
                    self.my_method, MyRequest.FromString, MyResponse.SerializeToString
                ),
            },
        )

    def my_method(self, request: MyRequest, context: grpc.ServicerContext) -> MyResponse:
        return MyResponse(trace_id=DemoMetadata.trace_id(context))
