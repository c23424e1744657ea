import threading

import grpc

from grpc_request_client import GrpcClient, RequestContext
from protos.my_pb2 import MyRequest, MyResponse
from tests.Support.ScriptedRequest import ScriptedRequest

Received = dict[str, str | bytes]


class RelayService:
    """Service B of a call chain: ``my.Service/MyMethod`` notes what arrived, then calls C.

    C is any user service; B asks it for user 1 through ``downstream``, with
    ``call`` in ``handler()`` (for ``grpc.server``) and ``call_async`` in
    ``async_handler()`` (for ``grpc.aio.server``), and answers with the trace id
    of the context it ran in.
    """

    def __init__(self, downstream: GrpcClient) -> None:
        self._downstream = downstream
        self._lock = threading.Lock()
        self.received: list[Received] = []

    def handler(self) -> grpc.GenericRpcHandler:
        return self._generic(
            grpc.unary_unary_rpc_method_handler(
                self._relay, MyRequest.FromString, MyResponse.SerializeToString
            )
        )

    def async_handler(self) -> grpc.GenericRpcHandler:
        return self._generic(
            grpc.unary_unary_rpc_method_handler(
                self._relay_async, MyRequest.FromString, MyResponse.SerializeToString
            )
        )

    @staticmethod
    def _generic(method: grpc.RpcMethodHandler) -> grpc.GenericRpcHandler:
        return grpc.method_handlers_generic_handler("my.Service", {"MyMethod": method})

    def _relay(self, request: MyRequest, context: grpc.ServicerContext) -> MyResponse:
        self._note(context)
        self._downstream.call(ScriptedRequest("1"))
        return MyResponse(trace_id=RequestContext.get_trace_id())

    async def _relay_async(
        self, request: MyRequest, context: grpc.aio.ServicerContext
    ) -> MyResponse:
        self._note(context)
        await self._downstream.call_async(ScriptedRequest("1"))
        return MyResponse(trace_id=RequestContext.get_trace_id())

    def _note(self, context: grpc.ServicerContext | grpc.aio.ServicerContext) -> None:
        with self._lock:
            self.received.append(dict(context.invocation_metadata()))
