"""An event loop closed with calls still in flight leaves the next loop nothing to log.

``loop.close()`` without ``shutdown_asyncgens()`` (a hand-made loop, older test runners)
ends nothing of the client's: its streams stay open on grpc's side until their channel is
closed from the next loop, or their deadline passes. What grpc.aio hands the dead loop then
must not surface as "Event loop is closed" errors in the live one. In a process of its own,
so what asyncio and grpc.aio write to stderr is the process's whole story.
"""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SCRIPT = textwrap.dedent(
    """
    import asyncio
    import sys

    from grpc_request_client import ChannelRegistry, GrpcClient
    from grpc_request_client.testing import GrpcTestServer
    from protos import storage_pb2
    from tests.Support.ChunksRequest import ChunksRequest
    from tests.Support.DownloadRequest import DownloadRequest
    from tests.Support.StorageService import StorageService

    ENDS_AT_ITS_DEADLINE = sys.argv[1] == "deadline"

    storage = StorageService()
    with GrpcTestServer.start(storage) as server:
        client = GrpcClient(server.target, default_timeout=30.0)
        # The deadline case: the dead loop's calls are another client's, on a channel of its
        # own that nothing closes, so they end when their 2 s are up, in the next loop.
        dead_loops_client = (
            GrpcClient(server.target, default_timeout=2.0, channel_registry=ChannelRegistry())
            if ENDS_AT_ITS_DEADLINE
            else client
        )

        async def leave_streams_open():
            download = dead_loops_client.stream_async(
                DownloadRequest(chunks=1000, metadata={"delay-ms": "5"})
            )
            await download.__aenter__()
            await download.read()
            checksums = dead_loops_client.stream_async(
                ChunksRequest(None, method="ChecksumChunks", metadata={"settle-ms": "10000"})
            )
            await checksums.__aenter__()
            await checksums.write(storage_pb2.ObjectChunk(object_key="k", data=b"z"))
            await checksums.read()
            return download, checksums

        dead = asyncio.new_event_loop()
        left_open = dead.run_until_complete(leave_streams_open())
        dead.close()

        async def next_loop():
            for _ in range(3):
                response = await client.call_async(DownloadRequest(method="StatObject"))
                print("seen:", response.status_code().name)
            ended = await asyncio.to_thread(storage.wait_for_ended, 5, 20.0)
            await client.call_async(DownloadRequest(method="StatObject"))  # one more wake-up
            return ended

        ended = asyncio.run(next_loop())
        print("seen:", sorted(r.ended for r in ended if r.method != "StatObject"))
        client.close()
        dead_loops_client.close()
    """
)


@pytest.mark.parametrize("ending", ["channel-closed", "deadline"])
def test_the_next_loop_logs_nothing_for_the_calls_a_closed_loop_left_open(ending: str) -> None:
    repository = Path(__file__).resolve().parents[3]

    ran = subprocess.run(  # noqa: S603  # this interpreter, our own fixed script
        [sys.executable, "-c", SCRIPT, ending],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=repository,
        check=False,
    )

    assert ran.returncode == 0, ran.stderr
    seen = [line for line in ran.stdout.splitlines() if line.startswith("seen: ")]
    assert seen == ["seen: OK"] * 3 + ["seen: ['cancelled', 'cancelled']"]
    assert "Event loop is closed" not in ran.stderr, ran.stderr
    assert "PollerCompletionQueue" not in ran.stderr, ran.stderr
