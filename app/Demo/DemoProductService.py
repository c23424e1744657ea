from __future__ import annotations

from typing import Any

import grpc

from app.Demo.DemoCatalog import DemoCatalog
from protos.catalog_pb2 import GetProductRequest, Product


class DemoProductService:
    """``catalog.ProductService``: the products of ``DemoCatalog``, NOT_FOUND for any other id."""

    def rpc_handler(self) -> grpc.GenericRpcHandler[Any, Any]:
        return grpc.method_handlers_generic_handler(
            "catalog.ProductService",
            {
                "GetProduct": grpc.unary_unary_rpc_method_handler(
                    self.get_product, GetProductRequest.FromString, Product.SerializeToString
                ),
            },
        )

    def get_product(self, request: GetProductRequest, context: grpc.ServicerContext) -> Product:
        product = DemoCatalog.find(request.product_id)
        if product is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"product {request.product_id} not found")
        return product
