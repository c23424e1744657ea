from __future__ import annotations

from typing import Any

import grpc

from app.Contexts.Backoffice.Users.Infrastructure.Grpc.GetUserGrpcRequest import GetUserGrpcRequest
from grpc_request_client import GrpcClient, RequestContext
from protos.my_pb2 import MyRequest, MyResponse


class DemoRelayService:
    """``my.Service`` as the middle service of a call chain: it calls another service to answer.

    ``MyMethod`` looks user 123 up through ``downstream``, then answers with the
    trace id of the context it ran in. It passes nothing on by hand: the server
    interceptor opened that context from the incoming call, and the client sends
    its ids along.
    """

    def __init__(self, downstream: GrpcClient) -> None:
        self._downstream = downstream

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
        user = self._downstream.call(GetUserGrpcRequest("123"))
        if not user.is_success():
            context.abort(user.status_code(), f"the user service answered {user.details()!r}")
        return MyResponse(trace_id=RequestContext.get_trace_id() or "")
