import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class HangingUpPort:
    """A loopback port that accepts each connection and closes it at once, counting them.

    To grpc every accepted-then-closed connection is a failed connection attempt,
    after which its channel backs off before the next: the count over time shows
    the reconnect backoff grpc really uses.
    """

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._accepted = 0
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self._listener.getsockname()[1]}"

    @classmethod
    @contextmanager
    def start(cls) -> Iterator["HangingUpPort"]:
        port = cls()
        port._thread.start()
        try:
            yield port
        finally:
            port._listener.close()
            port._thread.join(10)

    def wait_for(self, attempts: int, timeout: float) -> bool:
        """Whether ``attempts`` connections came within ``timeout`` seconds."""
        with self._changed:
            return self._changed.wait_for(lambda: self._accepted >= attempts, timeout)

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return  # the listener was closed
            connection.close()
            with self._changed:
                self._accepted += 1
                self._changed.notify_all()
