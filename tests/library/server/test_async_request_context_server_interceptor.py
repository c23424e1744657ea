from contextlib import AbstractAsyncContextManager

import pytest

from tests.Support.ContextProbe import ASYNC_PATHS, SYNC_PATHS
from tests.Support.InterceptorContract import InterceptorContract
from tests.Support.ProbeServer import ProbeServer


class TestOnAGrpcAioServer(InterceptorContract):
    """Coroutines, async generators, a ``context.write`` stream, and plain handlers on its pool."""

    ABORTING = ("/probe.Async/Abort", "/probe.Sync/Abort")

    def start(self, host: str) -> AbstractAsyncContextManager[ProbeServer]:
        return ProbeServer.aio(host)

    @pytest.fixture(params=ASYNC_PATHS + SYNC_PATHS)
    def path(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)
