from __future__ import annotations

from typing import Any

import grpc

from app.Demo.DemoCatalog import DemoCatalog
from protos.search_pb2 import SearchRequest, SearchResponse, SearchResult

DEFAULT_LIMIT = 10


class DemoSearchService:
    """``search.SearchService``: case-insensitive substring search over ``DemoCatalog``."""

    def rpc_handler(self) -> grpc.GenericRpcHandler[Any, Any]:
        return grpc.method_handlers_generic_handler(
            "search.SearchService",
            {
                "SearchProducts": grpc.unary_unary_rpc_method_handler(
                    self.search_products, SearchRequest.FromString, SearchResponse.SerializeToString
                ),
            },
        )

    def search_products(
        self, request: SearchRequest, context: grpc.ServicerContext
    ) -> SearchResponse:
        if request.limit < 0:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "limit must not be negative")
        found = DemoCatalog.search(request.query, request.limit or DEFAULT_LIMIT)
        return SearchResponse(
            products=[SearchResult(id=p.id, name=p.name, price=p.price) for p in found]
        )
