from __future__ import annotations

import uuid
from typing import Any

import grpc

from app.Demo.DemoMetadata import DemoMetadata
from protos.order_pb2 import CreateOrderRequest, Order

_CENT = 0.005


class DemoOrderService:
    """``order.OrderService``: creates an order when the caller is authenticated and it adds up.

    UNAUTHENTICATED without an ``authorization: Bearer ...`` header, and
    INVALID_ARGUMENT for an order without items or whose total is not the sum
    of its items; so the metadata a request declares visibly matters.
    """

    def rpc_handler(self) -> grpc.GenericRpcHandler[Any, Any]:
        return grpc.method_handlers_generic_handler(
            "order.OrderService",
            {
                "CreateOrder": grpc.unary_unary_rpc_method_handler(
                    self.create_order, CreateOrderRequest.FromString, Order.SerializeToString
                ),
            },
        )

    def create_order(self, request: CreateOrderRequest, context: grpc.ServicerContext) -> Order:
        authorization = DemoMetadata.first(context, "authorization") or ""
        if not authorization.startswith("Bearer ") or len(authorization) == len("Bearer "):
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "a bearer token is required")
        if not request.items:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "an order needs at least one item")
        expected = sum(item.price * item.quantity for item in request.items)
        if abs(expected - request.total) > _CENT:
            context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"total {request.total:.2f} does not match the items ({expected:.2f})",
            )
        return Order(
            order_id=f"order_{uuid.uuid4().hex[:12]}",
            user_id=request.user_id,
            total=request.total,
        )
