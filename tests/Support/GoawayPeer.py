import socket
import struct
import threading
from typing import Literal

_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
_HEADERS, _SETTINGS, _PING, _GOAWAY = 0x1, 0x4, 0x6, 0x7
_ACK = 0x1
_NO_ERROR, _ENHANCE_YOUR_CALM = 0x0, 0xB


def _frame(kind: int, flags: int, stream: int, payload: bytes = b"") -> bytes:
    """One HTTP/2 frame (RFC 9113, 4.1): 24-bit length, type, flags, stream id, payload."""
    return (
        len(payload).to_bytes(3, "big") + bytes((kind, flags)) + struct.pack(">I", stream) + payload
    )


def _goaway(last_stream: int, error: int, debug: bytes) -> bytes:
    return _frame(_GOAWAY, 0, 0, struct.pack(">II", last_stream, error) + debug)


class GoawayPeer:
    """A bare HTTP/2 endpoint on 127.0.0.1 that answers each request stream with a GOAWAY.

    No gRPC server can be made to do either of these on cue, and the client
    cannot tell them apart by their text:

    - ``refuse``: GOAWAY with last-stream-id 0, as a server draining its
      connections does. The stream was not processed (RFC 9113, 6.8).
    - ``too_many_pings``: GOAWAY ENHANCE_YOUR_CALM "too_many_pings" whose
      last-stream-id is the request's own stream, so the server accepted it,
      then the connection closes unanswered, as a server does to a client that
      pings too often.

    ``streams`` records every request stream that arrived, as
    ``(connection number, stream id)``.
    """

    def __init__(self, mode: Literal["refuse", "too_many_pings"]) -> None:
        self._mode = mode
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.target = f"127.0.0.1:{self._listener.getsockname()[1]}"
        self.streams: list[tuple[int, int]] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        number = 0
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:  # closed
                return
            number += 1
            threading.Thread(target=self._converse, args=(connection, number), daemon=True).start()

    def _converse(self, connection: socket.socket, number: int) -> None:
        with connection:
            try:
                if self._read(connection, len(_PREFACE)) != _PREFACE:
                    return
                connection.sendall(_frame(_SETTINGS, 0, 0))
                while self._answer(connection, number):
                    pass
            except (EOFError, OSError):
                return

    def _answer(self, connection: socket.socket, number: int) -> bool:
        """Read one frame and answer it; ``False`` once the connection is to be closed."""
        header = self._read(connection, 9)
        kind, flags = header[3], header[4]
        stream = struct.unpack(">I", header[5:])[0] & 0x7FFFFFFF
        payload = self._read(connection, int.from_bytes(header[:3], "big"))
        if kind == _SETTINGS and not flags & _ACK:
            connection.sendall(_frame(_SETTINGS, _ACK, 0))
        elif kind == _PING and not flags & _ACK:
            connection.sendall(_frame(_PING, _ACK, 0, payload))
        elif kind == _HEADERS:
            self.streams.append((number, stream))
            if self._mode == "refuse":
                connection.sendall(_goaway(0, _NO_ERROR, b"draining"))
                return True
            connection.sendall(_goaway(stream, _ENHANCE_YOUR_CALM, b"too_many_pings"))
            self._close_after_goaway(connection)
            return False
        return True

    def _close_after_goaway(self, connection: socket.socket) -> None:
        """Close gracefully: a close with unread input would reset the connection, and the
        client could see the reset before the GOAWAY it was sent."""
        connection.shutdown(socket.SHUT_WR)
        while connection.recv(65536):
            pass

    @staticmethod
    def _read(connection: socket.socket, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = connection.recv(size - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data
