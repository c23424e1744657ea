from __future__ import annotations

import inspect
from collections.abc import Iterable, Sequence

import grpc
import grpc.aio

from app.Contexts.Shared.Infrastructure.Grpc.Testing.Errors.InvalidGrpcTestServerSettings import (
    InvalidGrpcTestServerSettings,
)
from app.Contexts.Shared.Infrastructure.Grpc.Testing.ServicerHandlers import ServicerHandlers


class ServerKind:
    """Whether a ``GrpcTestServer`` is a ``grpc.aio`` server or a sync one, from what it serves.

    Each piece it is handed has a kind, or suits both. A generated servicer is
    aio when the rpc methods it writes are ``async def`` (coroutines or async
    generators) and sync when they are plain ``def``s; one that writes none
    (the generated base, all UNIMPLEMENTED) and a ``grpc.GenericRpcHandler``
    (whose functions grpc keeps to itself) suit both. An interceptor is a
    ``grpc.aio.ServerInterceptor`` or a ``grpc.ServerInterceptor``.

    ``aio=None`` follows the pieces: aio if any is, sync otherwise; ``True`` or
    ``False`` says it, for generic handlers of ``async def`` functions. Both
    kinds in one server (in one servicer too), a piece of the kind not asked
    for, or an interceptor of neither kind raise ``InvalidGrpcTestServerSettings``
    naming each piece and its kind: grpc would fail those calls only when they
    came, and a sync server would answer an ``async def`` one with a coroutine.
    """

    @classmethod
    def is_aio(cls, servicers: Iterable[object], interceptors: object, aio: object) -> bool:
        if aio is not None and type(aio) is not bool:
            raise InvalidGrpcTestServerSettings(
                f"aio must be True, False or None (the servicers decide), got {aio!r}"
            )
        pieces = [*cls._servicers(servicers), *cls._interceptors(interceptors)]
        aio_pieces = [name for name, is_aio in pieces if is_aio]
        sync_pieces = [name for name, is_aio in pieces if not is_aio]
        if aio_pieces and sync_pieces:
            raise InvalidGrpcTestServerSettings(
                "one server serves one kind, grpc.aio or sync, but it was given grpc.aio "
                f"{', '.join(aio_pieces)} and sync {', '.join(sync_pieces)}; "
                "start a GrpcTestServer for each kind"
            )
        if aio is None:
            return bool(aio_pieces)
        refused = sync_pieces if aio else aio_pieces
        if refused:
            raise InvalidGrpcTestServerSettings(
                f"aio={aio}, but it was given {'sync' if aio else 'grpc.aio'} {', '.join(refused)}"
            )
        return aio

    @classmethod
    def _servicers(cls, servicers: Iterable[object]) -> list[tuple[str, bool]]:
        pieces = []
        for servicer in servicers:
            methods = cls._written_methods(servicer)
            asynchronous = sorted(name for name, is_aio in methods.items() if is_aio)
            plain = sorted(name for name, is_aio in methods.items() if not is_aio)
            name = type(servicer).__qualname__
            if asynchronous and plain:
                raise InvalidGrpcTestServerSettings(
                    f"{name} mixes async def rpc methods ({', '.join(asynchronous)}) with plain "
                    f"def ones ({', '.join(plain)}); one server serves one kind, grpc.aio or sync"
                )
            if methods:
                pieces.append(
                    (
                        f"{name} ({'async def' if asynchronous else 'def'} methods)",
                        bool(asynchronous),
                    )
                )
        return pieces

    @staticmethod
    def _written_methods(servicer: object) -> dict[str, bool]:
        """The rpc methods ``servicer`` writes over its generated base: name, and whether async."""
        base = ServicerHandlers.generated_base(servicer)
        if base is None:
            return {}
        written = {}
        for name, generated in vars(base).items():
            method = getattr(type(servicer), name, generated)
            if not name.startswith("_") and callable(generated) and method is not generated:
                written[name] = inspect.iscoroutinefunction(method) or inspect.isasyncgenfunction(
                    method
                )
        return written

    @staticmethod
    def _interceptors(interceptors: object) -> list[tuple[str, bool]]:
        kinds = (grpc.ServerInterceptor, grpc.aio.ServerInterceptor)
        if not isinstance(interceptors, Sequence) or not all(
            isinstance(interceptor, kinds) for interceptor in interceptors
        ):
            raise InvalidGrpcTestServerSettings(
                "interceptors must be a sequence of grpc.ServerInterceptor (or, for a grpc.aio "
                f"server, of grpc.aio.ServerInterceptor), got {interceptors!r}"
            )
        return [
            (
                f"{type(interceptor).__qualname__} "
                f"({'grpc.aio.ServerInterceptor' if is_aio else 'grpc.ServerInterceptor'})",
                is_aio,
            )
            for interceptor in interceptors
            for is_aio in [isinstance(interceptor, grpc.aio.ServerInterceptor)]
        ]
