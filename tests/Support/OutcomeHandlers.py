import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import grpc
import grpc.aio

PLAIN = "outcome.Plain"
ASYNC = "outcome.Async"
Context = Any  # grpc.ServicerContext, grpc.aio.ServicerContext, or grpc.aio's for plain handlers


class OutcomeHandlers:
    """Raw-bytes handlers that end their calls in every way a handler can, plain and async.

    ``outcome.Plain`` (plain ``def``s: ``grpc.server``, or an aio server's thread
    pool) and ``outcome.Async`` (coroutines and async generators, for
    ``grpc.aio.server``) both have ``Raise`` (a ValueError: UNKNOWN),
    ``SetCode`` (returns after ``set_code(ALREADY_EXISTS)``), ``Abort``
    (NOT_FOUND), ``CodeThenRaise`` (``set_code(NOT_FOUND)``, then a ValueError),
    ``AbortStream`` (two replies, then PERMISSION_DENIED) and ``Slow`` (a
    reply every 50 ms, ten times, to be cancelled or outlived by its
    deadline) and ``Count`` (reads its request iterator to the end and
    replies how many it read). ``outcome.Async`` adds ``Writer`` (two replies through
    ``context.write``) and ``Reader`` (counts requests read through
    ``context.read()``).
    """

    @classmethod
    def plain(cls) -> grpc.GenericRpcHandler:
        unary, stream = grpc.unary_unary_rpc_method_handler, grpc.unary_stream_rpc_method_handler
        return grpc.method_handlers_generic_handler(
            PLAIN,
            {
                "Raise": unary(cls._raise),
                "SetCode": unary(cls._set_code),
                "Abort": unary(cls._abort),
                "CodeThenRaise": unary(cls._code_then_raise),
                "AbortStream": stream(cls._abort_stream),
                "Slow": stream(cls._slow),
                "Count": grpc.stream_unary_rpc_method_handler(cls._count),
            },
        )

    @classmethod
    def asynchronous(cls) -> grpc.GenericRpcHandler:
        unary, stream = grpc.unary_unary_rpc_method_handler, grpc.unary_stream_rpc_method_handler
        return grpc.method_handlers_generic_handler(
            ASYNC,
            {
                "Raise": unary(cls._async_raise),
                "SetCode": unary(cls._async_set_code),
                "Abort": unary(cls._async_abort),
                "CodeThenRaise": unary(cls._async_code_then_raise),
                "AbortStream": stream(cls._async_abort_stream),
                "Slow": stream(cls._async_slow),
                "Writer": stream(cls._async_writer),
                "Reader": grpc.stream_unary_rpc_method_handler(cls._async_reader),
                "Count": grpc.stream_unary_rpc_method_handler(cls._async_count),
            },
        )

    @staticmethod
    def _raise(request: bytes, context: Context) -> bytes:
        raise ValueError("a bug in the handler")

    @staticmethod
    def _set_code(request: bytes, context: Context) -> bytes:
        context.set_code(grpc.StatusCode.ALREADY_EXISTS)
        return b""

    @staticmethod
    def _abort(request: bytes, context: Context) -> bytes:
        context.abort(grpc.StatusCode.NOT_FOUND, "no such thing")
        raise AssertionError("abort returned")

    @staticmethod
    def _code_then_raise(request: bytes, context: Context) -> bytes:
        context.set_code(grpc.StatusCode.NOT_FOUND)
        raise ValueError("a bug after the code was set")

    @staticmethod
    def _abort_stream(request: bytes, context: Context) -> Iterator[bytes]:
        yield b"one"
        yield b"two"
        context.abort(grpc.StatusCode.PERMISSION_DENIED, "no more for you")

    @staticmethod
    def _slow(request: bytes, context: Context) -> Iterator[bytes]:
        for _ in range(10):
            time.sleep(0.05)
            yield b"tick"

    @staticmethod
    def _count(request_iterator: Iterator[bytes], context: Context) -> bytes:
        return str(sum(1 for _ in request_iterator)).encode()

    @staticmethod
    async def _async_raise(request: bytes, context: Context) -> bytes:
        raise ValueError("a bug in the handler")

    @staticmethod
    async def _async_set_code(request: bytes, context: Context) -> bytes:
        context.set_code(grpc.StatusCode.ALREADY_EXISTS)
        return b""

    @staticmethod
    async def _async_abort(request: bytes, context: Context) -> bytes:
        await context.abort(grpc.StatusCode.NOT_FOUND, "no such thing")
        raise AssertionError("abort returned")

    @staticmethod
    async def _async_code_then_raise(request: bytes, context: Context) -> bytes:
        context.set_code(grpc.StatusCode.NOT_FOUND)
        raise ValueError("a bug after the code was set")

    @staticmethod
    async def _async_abort_stream(request: bytes, context: Context) -> AsyncIterator[bytes]:
        yield b"one"
        yield b"two"
        await context.abort(grpc.StatusCode.PERMISSION_DENIED, "no more for you")

    @staticmethod
    async def _async_slow(request: bytes, context: Context) -> AsyncIterator[bytes]:
        for _ in range(10):
            await asyncio.sleep(0.05)
            yield b"tick"

    @staticmethod
    async def _async_writer(request: bytes, context: Context) -> None:
        await context.write(b"one")
        await context.write(b"two")

    @staticmethod
    async def _async_count(request_iterator: AsyncIterator[bytes], context: Context) -> bytes:
        return str(len([request async for request in request_iterator])).encode()

    @staticmethod
    async def _async_reader(request_iterator: Any, context: Context) -> bytes:
        count = 0
        while await context.read() is not grpc.aio.EOF:
            count += 1
        return str(count).encode()
