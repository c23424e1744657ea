"""Following one call from ``call()`` to the wire and back reads ten library modules.

Each library file whose Python code runs during one call on a warm client is
recorded (``sys.setprofile``, by ``co_filename``); the request's own module is
the caller's, not the library's. A change that adds a file to the hot path
fails here, naming every file, so that it is made on purpose (docs/architecture.md lists them).
"""

import asyncio
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from app.Contexts.Backoffice.Users.Infrastructure.Grpc.GetUserGrpcRequest import GetUserGrpcRequest
from grpc_request_client import GrpcClient
from tests.Support.RunningServer import RunningServer

LIBRARY = Path(__file__).resolve().parents[3] / "grpc_request_client"
SHARED = (
    "client.py",
    "invocation.py",
    "metadata.py",
    "engine.py",
    "stages.py",
    "logs.py",
    "resilience.py",
    "grpcio_transport.py",
    "response.py",
    "channels.py",
)
SYNC = set(SHARED)
ASYNC = set(SHARED)
LIMIT = 10


@contextmanager
def _recording() -> Iterator[set[str]]:
    seen: set[str] = set()
    root = f"{LIBRARY}/"

    def profile(frame: FrameType, event: str, argument: Any) -> None:
        filename = frame.f_code.co_filename
        if filename.startswith(root):
            seen.add(filename[len(root) :])

    sys.setprofile(profile)
    try:
        yield seen
    finally:
        sys.setprofile(None)


def _assert_files(seen: set[str], expected: set[str]) -> None:
    listing = "\n".join(sorted(seen))
    assert len(seen) <= LIMIT, f"{len(seen)} library files on the hot path:\n{listing}"
    assert seen == expected, f"library files on the hot path:\n{listing}"


def test_a_sync_call_runs_code_in_these_library_files_only(server: RunningServer) -> None:
    with GrpcClient(server.target) as client:
        client.call(GetUserGrpcRequest("1"))
        with _recording() as seen:
            response = client.call(GetUserGrpcRequest("1"))

    assert response.is_success()
    _assert_files(seen, SYNC)


def test_an_async_call_runs_code_in_these_library_files_only(server: RunningServer) -> None:
    async def traced() -> set[str]:
        await client.call_async(GetUserGrpcRequest("1"))
        with _recording() as seen:
            response = await client.call_async(GetUserGrpcRequest("1"))
        assert response.is_success()
        return seen

    with GrpcClient(server.target) as client:
        seen = asyncio.run(traced())

    _assert_files(seen, ASYNC)
