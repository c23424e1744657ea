import contextlib
import multiprocessing
from collections.abc import Iterator
from concurrent import futures
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized

import grpc

from protos import storage_pb2

CHUNK_BYTES = 64 * 1024
OBJECT_KEY = "large.bin"


def _serve(report: Connection, produced: "Synchronized[int]") -> None:
    """The server process: ``DownloadObject`` sends one precomputed 64 KB chunk, over and over.

    The chunk is encoded once and sent as bytes (the handler has no
    serializer), so the server's own cost per message is small and its
    memory stays flat. ``produced`` counts the chunks grpc has taken from the
    handler so far, for the test to see how far ahead of its reader the
    server got.
    """
    chunk = storage_pb2.ObjectChunk(
        object_key=OBJECT_KEY, offset=0, data=b"\x5a" * CHUNK_BYTES
    ).SerializeToString()

    def download_object(
        request: storage_pb2.DownloadRequest, context: grpc.ServicerContext
    ) -> Iterator[bytes]:
        for index in range(request.chunks):
            produced.value = index + 1
            yield chunk

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    handler = grpc.unary_stream_rpc_method_handler(
        download_object, request_deserializer=storage_pb2.DownloadRequest.FromString
    )
    service = grpc.method_handlers_generic_handler(
        "storage.ObjectStorage", {"DownloadObject": handler}
    )
    server.add_generic_rpc_handlers((service,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    report.send(port)
    with contextlib.suppress(EOFError):  # closed: the test is done with the server
        report.recv()
    server.stop(None)


class LargeDownloadServer:
    """A ``storage.ObjectStorage/DownloadObject`` server in a process of its own, for big streams.

    It sends ``chunks`` chunks of ``CHUNK_BYTES`` each, whatever ``chunk_size``
    says. Being another process, its memory never counts in the test
    process's RSS, so a test can tell what the client itself holds while it
    reads a long stream; ``produced`` says how many chunks the server has
    handed to grpc, i.e. how far flow control let it get.
    """

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._produced: Synchronized[int] = context.Value("q", 0)
        self._pipe, child = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(child, self._produced), name="large-download", daemon=True
        )
        self._process.start()
        child.close()
        if not self._pipe.poll(30):
            self.stop()
            raise RuntimeError("the download server did not start within 30 s")
        self.port: int = self._pipe.recv()

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def produced(self) -> int:
        """Chunks of the latest stream that grpc has taken from the server's handler."""
        return int(self._produced.value)

    def stop(self) -> None:
        self._pipe.close()
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
