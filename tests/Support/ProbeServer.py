from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import grpc.aio

from tests.Support.ContextProbe import ContextProbe, Metadata
from tests.Support.InterceptedServer import InterceptedServer


class ProbeServer:
    """``ContextProbe`` handlers served by an ``InterceptedServer`` of either kind."""

    def __init__(self, probe: ContextProbe, target: str) -> None:
        self.probe = probe
        self.target = target

    async def call(self, path: str, metadata: Metadata = ()) -> list[bytes]:
        async with grpc.aio.insecure_channel(self.target) as channel:
            return await ContextProbe.call(channel, path, metadata)

    @staticmethod
    @asynccontextmanager
    async def sync(host: str) -> AsyncIterator["ProbeServer"]:
        probe = ContextProbe()
        async with InterceptedServer.sync([probe.sync_handler()], host) as target:
            yield ProbeServer(probe, target)

    @staticmethod
    @asynccontextmanager
    async def aio(host: str) -> AsyncIterator["ProbeServer"]:
        probe = ContextProbe()
        handlers = [probe.sync_handler(), probe.async_handler()]
        async with InterceptedServer.aio(handlers, host) as target:
            yield ProbeServer(probe, target)
