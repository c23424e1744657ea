from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

import grpc

from app.Contexts.Shared.Infrastructure.Grpc.Testing.Errors.InvalidServicer import (
    InvalidServicer,
)


class ServicerHandlers:
    """The rpc handlers that serve some servicers, found the way ``protoc`` meant them to be.

    For a generated servicer class ``<Name>Servicer``, its ``*_pb2_grpc`` module
    holds ``add_<Name>Servicer_to_server(servicer, server)``. Walking the MRO of
    the servicer's class finds that function for any subclass, however deep.
    The function is handed this object in place of a ``grpc.Server``, so it
    registers its handlers here, where they can be read (for their service
    names, each of which may be served once) before a real server is built.
    """

    def __init__(self) -> None:
        self.handlers: list[grpc.GenericRpcHandler[Any, Any]] = []

    @classmethod
    def of(cls, servicers: Iterable[object]) -> ServicerHandlers:
        collected = cls()
        for servicer in servicers:
            collected._add(servicer)
        return collected

    def service_names(self) -> tuple[str, ...]:
        """The services the handlers name, each once: grpc would never call a second one."""
        names = [
            handler.service_name()
            for handler in self.handlers
            if isinstance(handler, grpc.ServiceRpcHandler)
        ]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise InvalidServicer(
                f"{', '.join(twice)} is served twice; grpc would only ever call the first one"
            )
        return tuple(names)

    def _add(self, servicer: object) -> None:
        if isinstance(servicer, grpc.GenericRpcHandler):
            self.handlers.append(servicer)
            return
        if isinstance(servicer, type):
            raise InvalidServicer(
                f"{servicer.__qualname__} is a class; pass an instance: {servicer.__qualname__}()"
            )
        self._registration(servicer)(servicer, self)

    @staticmethod
    def generated_base(servicer: object) -> type | None:
        """The generated ``<Name>Servicer`` class ``servicer`` extends, or ``None``."""
        for klass in type(servicer).__mro__:
            module = sys.modules.get(klass.__module__)
            if callable(getattr(module, f"add_{klass.__name__}_to_server", None)):
                return klass
        return None

    @classmethod
    def _registration(cls, servicer: object) -> Callable[[object, ServicerHandlers], None]:
        base = cls.generated_base(servicer)
        if base is not None:
            add = getattr(sys.modules[base.__module__], f"add_{base.__name__}_to_server")
            return cast("Callable[[object, ServicerHandlers], None]", add)  # generated: untyped
        raise InvalidServicer(
            f"{type(servicer).__qualname__} is neither a generated servicer (no class it extends "
            "has an add_<Name>_to_server function beside it, as *_pb2_grpc modules do) nor a "
            "grpc.GenericRpcHandler; extend your *_pb2_grpc.<Name>Servicer, or pass a handler "
            "such as grpc.method_handlers_generic_handler(...)"
        )

    def add_generic_rpc_handlers(
        self, handlers: Iterable[grpc.GenericRpcHandler[Any, Any]]
    ) -> None:
        self.handlers.extend(handlers)

    def add_registered_method_handlers(
        self, service_name: str, method_handlers: Mapping[str, grpc.RpcMethodHandler[Any, Any]]
    ) -> None:
        """Generated code registers each method twice; the generic handler alone serves them all."""
