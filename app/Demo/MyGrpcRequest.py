from grpc_request_client import BaseGrpcRequest
from protos.my_pb2 import MyRequest, MyResponse


class MyGrpcRequest(BaseGrpcRequest[MyResponse]):
    """``my.Service/MyMethod``: the server answers with the trace id it received."""

    def service_name(self) -> str:
        return "my.Service"

    def method_name(self) -> str:
        return "MyMethod"

    def message(self) -> MyRequest:
        return MyRequest()
