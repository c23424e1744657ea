import re

from google.protobuf import descriptor_pool, message_factory
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import Message

from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcRequest import (
    InvalidGrpcRequest,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.UnknownGrpcMethod import (
    UnknownGrpcMethod,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Method.GrpcMethod import GrpcMethod

_SERVICE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_METHOD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# (client_streaming, server_streaming) -> the call kind, in go-grpc-middleware's words.
_KINDS = {
    (False, False): "unary",
    (True, False): "client_stream",
    (False, True): "server_stream",
    (True, True): "bidi_stream",
}


class GrpcMethodCatalog:
    """Finds what a ``service/method`` takes and returns, without a generated stub.

    The protobuf descriptor pool already knows every service whose ``*_pb2``
    module was imported, so the reply class is found there (service → method →
    output type → class), once per path: ``GrpcInvocationFactory`` keeps what
    was found. Failures are not kept: a module imported later makes the same
    request work.
    """

    def __init__(self) -> None:
        self._pool = descriptor_pool.Default()

    def resolve(self, service: object, method: object, declared: object) -> GrpcMethod:
        """The method that ``service_name()``, ``method_name()`` and ``response_class()`` name.

        Raises ``InvalidGrpcRequest`` for names or a class that cannot be right,
        ``UnknownGrpcMethod`` for a method the pool does not have (or a service
        it does not know, with no declared reply class). A streaming method
        resolves like any other; its ``kind`` says how it streams.
        """
        if not (isinstance(service, str) and _SERVICE.fullmatch(service)):
            raise InvalidGrpcRequest(f"service_name() {service!r} is not a qualified service name")
        if not (isinstance(method, str) and _METHOD.fullmatch(method)):
            raise InvalidGrpcRequest(f"method_name() {method!r} is not a method name")
        if declared is not None and not (
            isinstance(declared, type) and issubclass(declared, Message)
        ):
            raise InvalidGrpcRequest(
                f"response_class() {declared!r} is not a protobuf message class"
            )
        path = f"/{service}/{method}"
        descriptor = self._find(service, method, path)
        if descriptor is not None:
            return self._from_descriptor(descriptor, declared)
        if declared is None:
            raise UnknownGrpcMethod(
                f"{path}: service {service!r} is not in the protobuf descriptor pool. Import its "
                "generated module before calling (for example `import protos.user_pb2`), or "
                "override response_class() on the request to name the reply's message class."
            )
        return GrpcMethod(service, method, None, declared)

    def _find(self, service: str, method: str, path: str) -> MethodDescriptor | None:
        try:
            service_descriptor = self._pool.FindServiceByName(service)
        except KeyError:
            return None
        found = service_descriptor.methods_by_name.get(method)
        if found is None:
            known = ", ".join(sorted(service_descriptor.methods_by_name)) or "none"
            raise UnknownGrpcMethod(f"{path}: {service} has no method {method!r} (it has: {known})")
        return found

    @staticmethod
    def _from_descriptor(
        descriptor: MethodDescriptor, declared: type[Message] | None
    ) -> GrpcMethod:
        path = f"/{descriptor.containing_service.full_name}/{descriptor.name}"
        output = descriptor.output_type
        if declared is not None and declared.DESCRIPTOR.full_name != output.full_name:
            raise InvalidGrpcRequest(
                f"{path} returns {output.full_name}, but response_class() declares "
                f"{declared.DESCRIPTOR.full_name}"
            )
        return GrpcMethod(
            descriptor.containing_service.full_name,
            descriptor.name,
            message_factory.GetMessageClass(descriptor.input_type),
            declared or message_factory.GetMessageClass(output),
            _KINDS[descriptor.client_streaming, descriptor.server_streaming],
        )
