from contextlib import AbstractAsyncContextManager

import pytest

from tests.Support.ContextProbe import SYNC_PATHS
from tests.Support.InterceptorContract import InterceptorContract
from tests.Support.ProbeServer import ProbeServer


class TestOnAGrpcServer(InterceptorContract):
    ABORTING = ("/probe.Sync/Abort",)

    def start(self, host: str) -> AbstractAsyncContextManager[ProbeServer]:
        return ProbeServer.sync(host)

    @pytest.fixture(params=SYNC_PATHS)
    def path(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)
