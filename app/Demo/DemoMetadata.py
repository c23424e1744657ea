import grpc


class DemoMetadata:
    """Reads what a client sent, the way a real service reads its incoming headers."""

    @staticmethod
    def first(context: grpc.ServicerContext, key: str) -> str | None:
        for candidate, value in context.invocation_metadata():
            if candidate == key:
                return value if isinstance(value, str) else value.decode("latin-1")
        return None

    @staticmethod
    def trace_id(context: grpc.ServicerContext) -> str:
        return DemoMetadata.first(context, "x-trace-id") or ""
