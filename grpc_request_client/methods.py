"""gRPC methods resolved from the protobuf descriptor pool: path, call kind, serializers."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import cast

from google.protobuf import descriptor_pool, message_factory
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import Message

from grpc_request_client.errors import InvalidGrpcMessage, InvalidGrpcRequest, UnknownGrpcMethod

_SENDS_STREAM = frozenset({"client_stream", "bidi_stream"})
_RECEIVES_STREAM = frozenset({"server_stream", "bidi_stream"})


@dataclass(frozen=True, slots=True, eq=False)
class GrpcMethod:
    """A resolved method: its wire path, call kind and the message classes on either side.

    Compared by identity (``eq=False``), which nothing relies on: an instance
    lives as long as the catalog keeps it, so what outlives a client (a shared
    channel's multicallables) is keyed by ``key`` instead, the method's stable
    identity on a channel: its path and kind, all a multicallable is made of
    (it carries bytes; the classes here encode and decode them outside grpc).
    ``request_class`` is ``None`` when the method was declared by
    the request rather than found in the descriptor pool; then any protobuf
    message is accepted, since there is nothing to check it against. The call
    encodes the request (``GrpcInvocationFactory``) and decodes the reply
    (``Attempt``) with these classes, once per call, with no frame in between.
    ``kind`` is the call kind as go-grpc-middleware's ``grpc_type`` label names
    it: ``"unary"``, ``"client_stream"``, ``"server_stream"`` or
    ``"bidi_stream"``, read from the method's descriptor (a method declared by
    the request alone is unary).
    """

    service: str
    name: str
    request_class: type[Message] | None
    response_class: type[Message]
    kind: str = "unary"
    path: str = field(init=False)
    key: str = field(init=False)
    sends_stream: bool = field(init=False)
    receives_stream: bool = field(init=False)

    def __post_init__(self) -> None:
        """The wire path, ``/service/method``, its ``key`` and the kind's two sides, made once.

        Every call reads them: ``key`` (``"/user.UserService/GetUser unary"``, a
        str so that its hash is computed once), ``sends_stream`` (client
        streaming or bidi) and ``receives_stream`` (server streaming or bidi).
        """
        object.__setattr__(self, "path", f"/{self.service}/{self.name}")
        object.__setattr__(self, "key", f"{self.path} {self.kind}")
        object.__setattr__(self, "sends_stream", self.kind in _SENDS_STREAM)
        object.__setattr__(self, "receives_stream", self.kind in _RECEIVES_STREAM)

    def check(self, message: object, source: str = "message() returned") -> None:
        """Raise ``InvalidGrpcMessage`` unless ``message`` is what the method takes.

        ``source`` says where the message came from, for the error
        (``"messages() item 3 is"``, ``"write() was given"``).
        """
        if type(message) is self.request_class:
            return
        expected = self.request_class.DESCRIPTOR.full_name if self.request_class else None
        if not isinstance(message, Message):
            wanted = expected or "a protobuf message"
            raise InvalidGrpcMessage(
                f"{self.path} takes {wanted}; {source} {type(message).__qualname__}"
            )
        if expected is not None and message.DESCRIPTOR.full_name != expected:
            raise InvalidGrpcMessage(
                f"{self.path} takes {expected}; {source} {message.DESCRIPTOR.full_name}"
            )


# How many (service, method, declared reply class) triples the catalog keeps resolved: far
# more methods than a service calls, in 460 kB at most (1,024 made-up names, measured).
KEPT_METHODS = 1024
# GrpcMethodCatalog.resolve: (service, method, declared reply class) -> the method.
Resolve = Callable[[object, object, object], GrpcMethod]
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
    output type → class). What was found is kept, for every client of the
    process alike, for the ``kept`` most recently used ``(service, method,
    declared reply class)`` triples (``functools.lru_cache``): a process that
    makes a client per request resolves each method once, and one that makes
    up names or reply classes as it goes keeps no more than that. Failures are
    not kept: a module imported later makes the same request work. A method
    found from its declared reply class alone, its service not in the pool, is
    kept as such (unary, its messages unchecked) until it falls out.
    """

    def __init__(self, kept: int = KEPT_METHODS) -> None:
        self._pool = descriptor_pool.Default()
        cached = lru_cache(maxsize=kept)(self._resolved)
        self._cache_info = cached.cache_info
        # lru_cache's wrapper is typed to take Hashable arguments; it raises TypeError for others.
        self.resolve = cast(Resolve, cached)

    def kept(self) -> int:
        """How many resolved methods are kept now: ``kept`` at most."""
        return self._cache_info().currsize

    def _resolved(self, service: object, method: object, declared: object) -> GrpcMethod:
        """The method that ``service_name()``, ``method_name()`` and ``response_class()`` name.

        What ``resolve`` answers, and keeps. Raises ``InvalidGrpcRequest`` for
        names or a class that cannot be right, ``UnknownGrpcMethod`` for a
        method the pool does not have (or a service it does not know, with no
        declared reply class); ``resolve`` itself raises ``TypeError`` for an
        unhashable argument. A streaming method resolves like any other; its
        ``kind`` says how it streams.
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
