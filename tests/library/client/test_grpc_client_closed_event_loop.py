"""An event loop closed with calls still in flight leaves the next loop nothing to log.

``loop.close()`` without ``shutdown_asyncgens()`` (a hand-made loop, older test runners)
ends nothing of the client's: its streams stay open on grpc's side until their channel is
closed, from the next loop. What grpc.aio hands the dead loop then must not surface as
"Event loop is closed" errors in the live one. In a process of its own, so what asyncio
and grpc.aio write to stderr is the process's whole story.
"""

import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import asyncio

    from grpc_request_client import GrpcClient
    from grpc_request_client.testing import GrpcTestServer
    from protos import storage_pb2
    from tests.Support.ChunksRequest import ChunksRequest
    from tests.Support.DownloadRequest import DownloadRequest
    from tests.Support.StorageService import StorageService

    storage = StorageService()
    with GrpcTestServer.start(storage) as server:
        client = GrpcClient(server.target, default_timeout=30.0)

        async def leave_streams_open():
            download = client.stream_async(DownloadRequest(chunks=100, metadata={"delay-ms": "5"}))
            await download.__aenter__()
            await download.read()
            checksums = client.stream_async(ChunksRequest(None, method="ChecksumChunks"))
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

        asyncio.run(next_loop())
        ended = storage.wait_for_ended(5, timeout=20.0)
        print("seen:", sorted(r.ended for r in ended if r.method != "StatObject"))
        client.close()
    """
)


def test_the_next_loop_logs_nothing_for_the_calls_a_closed_loop_left_open() -> None:
    repository = Path(__file__).resolve().parents[3]

    ran = subprocess.run(  # noqa: S603  # this interpreter, our own fixed script
        [sys.executable, "-c", SCRIPT],
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
