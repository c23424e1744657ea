from __future__ import annotations

from datetime import date
from typing import Any

import grpc

from app.Demo.DemoMetadata import DemoMetadata
from protos.analytics_pb2 import Statistics, StatisticsRequest


class DemoAnalyticsService:
    """``analytics.AnalyticsService``: statistics for admins, derived from the date range.

    PERMISSION_DENIED unless the call says ``x-admin-action: true``, and
    INVALID_ARGUMENT for dates that are not ISO ``YYYY-MM-DD`` or out of order.
    """

    def rpc_handler(self) -> grpc.GenericRpcHandler[Any, Any]:
        return grpc.method_handlers_generic_handler(
            "analytics.AnalyticsService",
            {
                "GetUserStatistics": grpc.unary_unary_rpc_method_handler(
                    self.get_user_statistics,
                    StatisticsRequest.FromString,
                    Statistics.SerializeToString,
                ),
            },
        )

    def get_user_statistics(
        self, request: StatisticsRequest, context: grpc.ServicerContext
    ) -> Statistics:
        if DemoMetadata.first(context, "x-admin-action") != "true":
            context.abort(grpc.StatusCode.PERMISSION_DENIED, "statistics are for admins only")
        try:
            start = date.fromisoformat(request.start_date)
            end = date.fromisoformat(request.end_date)
        except ValueError:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "dates must be YYYY-MM-DD")
        if end < start:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "end_date is before start_date")
        days = (end - start).days + 1
        return Statistics(active_users=1000 + 3 * days, new_users=7 * days)
