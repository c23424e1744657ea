from grpc_request_client import BaseGrpcRequest

from protos.order_pb2 import GetOrderRequest


class GetOrderGrpcRequest(BaseGrpcRequest):
    """``shop.OrderService/GetOrder`` for one order id, declared as a request object."""

    def __init__(self, order_id: str) -> None:
        self._order_id = order_id

    def service_name(self) -> str:
        return "shop.OrderService"

    def method_name(self) -> str:
        return "GetOrder"

    def message(self) -> GetOrderRequest:
        return GetOrderRequest(order_id=self._order_id)

    def timeout(self) -> float:
        return 10.0
