from typing import Any

import grpc

from protos import user_pb2


class AnyMethod(grpc.GenericRpcHandler):
    """Answers every unary method, whatever its path, with a ``User``; records nothing.

    For tests that call many methods made up as they go (the server knows
    none of them), and for those that measure the test process's memory,
    which a server recording what arrived (``RecordingUserService``) would
    grow with every call.
    """

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
        return grpc.unary_unary_rpc_method_handler(
            self._answer,
            request_deserializer=user_pb2.GetUserRequest.FromString,
            response_serializer=user_pb2.User.SerializeToString,
        )

    @staticmethod
    def _answer(request: user_pb2.GetUserRequest, context: Any) -> user_pb2.User:
        return user_pb2.User(id=request.user_id)
