from __future__ import annotations

import zlib
from collections.abc import Callable

import grpc
from grpc_health.v1.health_pb2 import HealthCheckResponse

from app.Demo.ChecksumChunksGrpcRequest import ChecksumChunksGrpcRequest
from app.Demo.DemoServer import DemoServer
from app.Demo.DownloadObjectGrpcRequest import DownloadObjectGrpcRequest
from app.Demo.ListUsersGrpcRequest import ListUsersGrpcRequest
from app.Demo.UploadObjectGrpcRequest import UploadObjectGrpcRequest
from grpc_request_client import GrpcClient, RemoteServiceError
from protos.storage_pb2 import ObjectChunk

STORAGE = "storage.ObjectStorage"
UPLOAD_KEY = "demo/upload.bin"
UPLOAD_DATA = bytes(range(256)) * 40  # 10240 bytes: two chunks of 4096, then 2048
CHUNK_SIZE = 4096
LINES = (b"first line\n", b"second line\n", b"third line\n")


class DemoStreaming:
    """The streaming steps: each call kind, a stream failing midway, and a health watch.

    The upload stores ``UPLOAD_DATA`` on the demo server and the failing
    download reads it back, so they run in that order. ``server`` is the
    running ``DemoServer``: the watch step changes what its health service
    says about ``storage.ObjectStorage`` (and puts SERVING back).
    """

    def __init__(self, write: Callable[[str], None], server: DemoServer) -> None:
        self._write = write
        self._server = server

    def listing(self, client: GrpcClient) -> bool:
        self._write("   with client.stream(ListUsersGrpcRequest(limit=10)) as users:")
        self._write("       for user in users: ...")
        names = []
        with client.stream(ListUsersGrpcRequest(limit=10)) as users:
            for user in users:
                self._write(f"   <- User {user.id}: {user.name}")
                names.append(user.name)
        self._write(
            f"   -> the loop ended: {users.status_code().name} after "
            f"{users.messages_received} messages (a truncated stream would have raised)"
        )
        return users.is_success() and names[:2] == ["John Doe", "Jane Roe"]

    def upload(self, client: GrpcClient) -> bool:
        self._write(
            f'   client.call(UploadObjectGrpcRequest("{UPLOAD_KEY}", <{len(UPLOAD_DATA)} bytes>, '
            f"chunk_size={CHUNK_SIZE}))"
        )
        response = client.call(UploadObjectGrpcRequest(UPLOAD_KEY, UPLOAD_DATA, CHUNK_SIZE))
        if not response.is_success():
            self._write(f"   -> {response.status_code().name}: {response.details()}")
            return False
        result, etag = response.reply(), _crc32(UPLOAD_DATA)
        self._write(
            f"   -> OK: {response.messages_sent()} ObjectChunk messages sent, one UploadResult "
            f"back: {result.size} bytes in {result.chunks} chunks, etag {result.etag} "
            f"(crc32 here: {etag})"
        )
        return (result.size, result.chunks, result.etag) == (len(UPLOAD_DATA), 3, etag)

    def failure_midway(self, client: GrpcClient) -> bool:
        self._write(
            f'   client.stream(DownloadObjectGrpcRequest("{UPLOAD_KEY}", {CHUNK_SIZE}, chunks=4))'
        )
        self._write("   (the upload again, asking for one chunk more than it holds)")
        received, raised = bytearray(), None
        with client.stream(DownloadObjectGrpcRequest(UPLOAD_KEY, CHUNK_SIZE, chunks=4)) as chunks:
            try:
                for chunk in chunks:
                    self._write(
                        f"   <- ObjectChunk at offset {chunk.offset}: {len(chunk.data)} bytes"
                    )
                    received += chunk.data
            except RemoteServiceError as error:
                raised = error
        if raised is None:
            self._write("   -> the loop ended without an error")
            return False
        self._write(f"   -> then the loop raised {type(raised).__name__}: {raised}")
        same = bytes(received) == UPLOAD_DATA
        self._write(f"   -> the {len(received)} bytes that did arrive are the upload's: {same}")
        return chunks.status_code() is grpc.StatusCode.OUT_OF_RANGE and same

    def checksums(self, client: GrpcClient) -> bool:
        self._write("   with client.stream(ChecksumChunksGrpcRequest()) as checksums:")
        self._write("       checksums.write(chunk); checksums.read(), for each line")
        matches, offset = [], 0
        with client.stream(ChecksumChunksGrpcRequest()) as checksums:
            for line in LINES:
                checksums.write(ObjectChunk(object_key="demo/lines.txt", offset=offset, data=line))
                answer, expected = checksums.read(), _crc32(line)
                if answer is None:  # the stream ended OK without answering this chunk
                    self._write(f"   -> the stream ended before answering offset {offset}")
                    return False
                self._write(
                    f"   -> wrote {len(line)} bytes at offset {offset}, read crc32 "
                    f"{answer.crc32} (here: {expected})"
                )
                matches.append((answer.offset, answer.crc32) == (offset, expected))
                offset += len(line)
            checksums.done_writing()
            rest = list(checksums)
        self._write(
            f"   -> done_writing(), then the loop read {len(rest)} more: "
            f"{checksums.status_code().name}, {checksums.response().messages_sent()} sent and "
            f"{checksums.messages_received} received"
        )
        return all(matches) and len(matches) == len(LINES) and not rest and checksums.is_success()

    def health_watch(self, client: GrpcClient) -> bool:
        health = self._server.health
        self._write(f'   with client.watch_health("{STORAGE}", timeout=5.0) as watch:')
        with client.watch_health(STORAGE, timeout=5.0) as watch:
            seen = [_status(watch.read())]
            self._write(f"   <- {seen[0]}")
            self._write(f'   server.health.set("{STORAGE}", NOT_SERVING)')
            health.set(STORAGE, HealthCheckResponse.NOT_SERVING)
            try:
                seen.append(_status(watch.read()))
            finally:
                health.set(STORAGE, HealthCheckResponse.SERVING)
            self._write(f"   <- {seen[1]}")
            watch.close()
        closed = watch.response().closed_by_caller()
        self._write(
            f"   -> watch.close(): {watch.status_code().name}, closed by the caller: {closed} "
            "(the call was cancelled on the server)"
        )
        return seen == ["SERVING", "NOT_SERVING"] and closed


def _crc32(data: bytes) -> str:
    return f"{zlib.crc32(data):08x}"


def _status(message: HealthCheckResponse) -> str:
    return str(HealthCheckResponse.ServingStatus.Name(message.status))
