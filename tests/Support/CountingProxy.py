import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class CountingProxy:
    """A TCP relay on 127.0.0.1 that counts the bytes a client sends through it.

    What grpc compressed, and what it did not, shows on the wire and nowhere
    else (a server sees the decompressed message, and grpc keeps
    ``grpc-encoding`` out of the metadata it hands over), so tests count bytes.
    """

    def __init__(self, upstream_port: int) -> None:
        self._upstream = ("127.0.0.1", upstream_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._sent = 0
        self._sockets: list[socket.socket] = [self._listener]

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def sent(self) -> int:
        """Bytes from clients to the server so far."""
        with self._lock:
            return self._sent

    @staticmethod
    @contextmanager
    def start(upstream_port: int) -> Iterator["CountingProxy"]:
        proxy = CountingProxy(upstream_port)
        threading.Thread(target=proxy._accept, daemon=True).start()
        try:
            yield proxy
        finally:
            proxy._close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self._upstream)
            with self._lock:
                self._sockets += [client, server]
            threading.Thread(target=self._pipe, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, counted: bool) -> None:
        try:
            while chunk := source.recv(65536):
                if counted:
                    with self._lock:
                        self._sent += len(chunk)
                sink.sendall(chunk)
        except OSError:
            return
        finally:
            sink.close()

    def _close(self) -> None:
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for opened in sockets:
            opened.close()
