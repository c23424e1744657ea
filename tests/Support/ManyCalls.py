import asyncio
from collections.abc import Sequence

from grpc_request_client import GrpcClient, GrpcRequest
from tests.conftest import Invoke

BATCH = 64  # calls in flight at once


class ManyCalls:
    """Many requests through one client, ``BATCH`` at a time, for tests that need hundreds."""

    @staticmethod
    async def all_succeed(
        invoke: Invoke, client: GrpcClient, requests: Sequence[GrpcRequest]
    ) -> None:
        for start in range(0, len(requests), BATCH):
            batch = requests[start : start + BATCH]
            responses = await asyncio.gather(*(invoke(client, request) for request in batch))
            failed = [response for response in responses if not response.is_success()]
            assert not failed, failed[0]
