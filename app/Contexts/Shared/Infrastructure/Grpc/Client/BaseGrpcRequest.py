from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcRequest import GrpcRequest


class BaseGrpcRequest(GrpcRequest):
    """The class request objects extend, so shared behaviour has one place to live.

    Its ``metadata()`` (``GrpcRequest``'s) returns a fresh dict that subclasses extend with
    ``{**super().metadata(), ...}``; a family of requests (an ``AdminRequest``
    that adds credentials, say) can sit in between and leave the service, method
    and message to its own subclasses. Its ``repr`` names the call and never the
    metadata, because that is where tokens travel.
    """

    def __repr__(self) -> str:
        return f"<{type(self).__name__} /{self.service_name()}/{self.method_name()}>"
