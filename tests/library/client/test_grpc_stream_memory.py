"""A slow reader of a long server stream holds the server back: the client buffers nothing.

grpcio asks for the next message only when the stream is read, so HTTP/2 flow
control reaches the server and a reader that pauses makes the server wait.
These tests stream 1 GiB as 16384 chunks of 64 KB from a server in another
process (whose memory is not this process's), pause after the first chunk so
that an unbounded buffer would fill, then read the rest, and hold the growth
of this process's resident memory under ``RSS_LIMIT``; the server, which
counts what grpc took from it, must have got no further ahead during the
pause than that much memory either. Collecting the chunks in a list instead
(what a client that buffered the stream would do) grows RSS by the whole
stream and fails them. About 2 s per API on two cores.
"""

import asyncio
import gc
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest

from grpc_request_client import GrpcClient
from tests.Support.DownloadRequest import DownloadRequest
from tests.Support.LargeDownloadServer import CHUNK_BYTES, OBJECT_KEY, LargeDownloadServer

MIB = 1024 * 1024
STREAM_BYTES = 1024 * MIB
MESSAGES = STREAM_BYTES // CHUNK_BYTES  # 16384
RSS_LIMIT = 50 * MIB
# How far ahead of its reader the server may get: what RSS_LIMIT would hold (grpc's flow
# control windows and the socket buffers come to 4 to 8 MB, 64 to 128 chunks, here).
SERVER_AHEAD_LIMIT = RSS_LIMIT // CHUNK_BYTES
PAUSE_SECONDS = 0.5
SAMPLE_EVERY = 64  # messages between two readings of VmRSS
TIMEOUT = 120.0


def rss() -> int:
    """This process's resident set size, in bytes (grpc-core's C buffers included)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("/proc/self/status has no VmRSS line")


@dataclass
class Reading:
    """What a reader saw: messages, bytes, the peak RSS growth and how far the server got."""

    baseline: int = field(default_factory=rss)
    peak: int = 0
    messages: int = 0
    data_bytes: int = 0
    server_ahead: int = 0  # chunks the server produced past the one read, during the pause

    def took(self, chunk: object) -> None:
        self.messages += 1
        self.data_bytes += len(chunk.data)  # type: ignore[attr-defined]
        if self.messages % SAMPLE_EVERY == 0:
            self.sample()

    def sample(self) -> None:
        self.peak = max(self.peak, rss() - self.baseline)


@pytest.fixture(scope="module")
def large_download() -> Iterator[LargeDownloadServer]:
    server = LargeDownloadServer()
    yield server
    server.stop()


@pytest.fixture
def client(large_download: LargeDownloadServer) -> Iterator[GrpcClient]:
    with GrpcClient(large_download.target, default_timeout=TIMEOUT) as opened:
        yield opened


def download(messages: int) -> DownloadRequest:
    return DownloadRequest(messages, CHUNK_BYTES, key=OBJECT_KEY, timeout=TIMEOUT)


def settled_baseline() -> Reading:
    """A reading that starts now, once garbage from earlier work is gone."""
    gc.collect()
    return Reading()


def assert_bounded(reading: Reading, messages: int) -> None:
    assert reading.messages == messages
    assert reading.data_bytes == messages * CHUNK_BYTES
    assert reading.peak < RSS_LIMIT, (
        f"RSS grew {reading.peak / MIB:.1f} MiB reading {messages * CHUNK_BYTES // MIB} MiB "
        f"(limit {RSS_LIMIT // MIB} MiB); the server got {reading.server_ahead} chunks ahead"
    )
    assert reading.server_ahead < SERVER_AHEAD_LIMIT


def read_sync(
    client: GrpcClient, server: LargeDownloadServer, messages: int, pause: float = PAUSE_SECONDS
) -> Reading:
    reading = settled_baseline()
    with client.stream(download(messages)) as chunks:
        for chunk in chunks:
            reading.took(chunk)
            if reading.messages == 1:
                time.sleep(pause)
                reading.server_ahead = server.produced - 1
                reading.sample()
        assert chunks.status_code() is grpc.StatusCode.OK
    reading.sample()
    return reading


async def read_async(
    client: GrpcClient, server: LargeDownloadServer, messages: int, pause: float = PAUSE_SECONDS
) -> Reading:
    reading = settled_baseline()
    async with client.stream_async(download(messages)) as chunks:
        async for chunk in chunks:
            reading.took(chunk)
            if reading.messages == 1:
                await asyncio.sleep(pause)
                reading.server_ahead = server.produced - 1
                reading.sample()
        assert chunks.status_code() is grpc.StatusCode.OK
    reading.sample()
    return reading


def test_a_slow_sync_reader_of_a_long_stream_keeps_the_client_memory_bounded(
    client: GrpcClient, large_download: LargeDownloadServer
) -> None:
    read_sync(client, large_download, SAMPLE_EVERY, 0.0)  # grpc's own buffers, before the baseline

    reading = read_sync(client, large_download, MESSAGES)

    assert_bounded(reading, MESSAGES)


async def test_a_slow_async_reader_of_a_long_stream_keeps_the_client_memory_bounded(
    client: GrpcClient, large_download: LargeDownloadServer
) -> None:
    await read_async(client, large_download, SAMPLE_EVERY, 0.0)

    reading = await read_async(client, large_download, MESSAGES)

    assert_bounded(reading, MESSAGES)
