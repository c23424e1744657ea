import contextlib
import multiprocessing
import os
import signal
import sqlite3
import threading
from concurrent import futures
from multiprocessing.connection import Connection
from pathlib import Path

import grpc

from protos import user_pb2

_TABLE = "CREATE TABLE IF NOT EXISTS created (request_id TEXT NOT NULL, pid INTEGER NOT NULL)"


def _commit(ledger: str, request_id: str) -> int:
    """Write the row and commit it; the number of rows the ledger now holds."""
    db = sqlite3.connect(ledger, timeout=10)
    try:
        with db:
            db.execute("INSERT INTO created VALUES (?, ?)", (request_id, os.getpid()))
        (count,) = db.execute("SELECT COUNT(*) FROM created").fetchone()
    finally:
        db.close()
    return int(count)


def _serve(pipe: Connection, ledger: str, die_first: int) -> None:
    """The backend process: wait to be told a port, then serve CreateUser on it."""
    try:
        port = pipe.recv()
    except EOFError:  # let go before it was ever asked to serve
        return
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    bound = server.add_insecure_port(f"127.0.0.1:{port}")

    def create_user(
        request: user_pb2.CreateUserRequest, context: grpc.ServicerContext
    ) -> user_pb2.User:
        request_id = str(dict(context.invocation_metadata()).get("request-id", ""))
        if _commit(ledger, request_id) <= die_first:
            os.kill(os.getpid(), signal.SIGKILL)  # the work is done; the reply never leaves
        return user_pb2.User(id=request_id, name=request.name, email=request.email)

    handler = grpc.unary_unary_rpc_method_handler(
        create_user,
        request_deserializer=user_pb2.CreateUserRequest.FromString,
        response_serializer=user_pb2.User.SerializeToString,
    )
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler("user.UserService", {"CreateUser": handler}),)
    )
    server.start()
    pipe.send(bound)
    with contextlib.suppress(EOFError):  # raised when the test lets go of this backend
        pipe.recv()
    server.stop(None)


class CommittingBackend:
    """A CreateUser backend in its own process that commits the write, then dies unanswered.

    The crash the issue is about: the server did the work (a row in a sqlite
    ``ledger`` holding the call's ``request-id``, committed) and was SIGKILLed
    before replying, so the client sees UNAVAILABLE for a call that took effect.
    Every backend of a test shares the ledger, and a call dies only while the
    ledger holds at most ``die_first`` rows, so the restarted process or the
    other replica serves the calls after that normally.

    The process is spawned at construction, before it serves, so a stand-in
    (``restart_after_death``) is ready to bind the same port the moment the
    first one dies; ``serve`` makes it listen.
    """

    def __init__(self, ledger: Path, *, die_first: int) -> None:
        with sqlite3.connect(ledger) as db:
            db.execute(_TABLE)
        db.close()
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(child, str(ledger), die_first), daemon=True
        )
        self._process.start()
        child.close()
        self._ledger = ledger
        self._die_first = die_first
        self._standing_by: threading.Thread | None = None
        self.port = 0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def serve(self, port: int = 0) -> None:
        """Listen on ``port`` (0: any free one) and wait until it does."""
        self._pipe.send(port)
        bound: int = self._pipe.recv()
        if bound == 0:
            raise RuntimeError(f"the backend could not bind 127.0.0.1:{port}")
        self.port = bound

    def restart_after_death(self) -> "CommittingBackend":
        """A fresh process that binds this one's port as soon as this one has died."""
        stand_in = CommittingBackend(self._ledger, die_first=self._die_first)

        def take_over() -> None:
            self._process.join()
            if self._process.exitcode == -signal.SIGKILL:
                stand_in.serve(self.port)

        stand_in._standing_by = threading.Thread(target=take_over, daemon=True)
        stand_in._standing_by.start()
        return stand_in

    def died(self) -> bool:
        """Whether it killed itself; only certain once ``stop()`` has reaped the process."""
        return self._process.exitcode == -signal.SIGKILL

    @property
    def pid(self) -> int | None:
        return self._process.pid

    @staticmethod
    def rows(ledger: Path) -> list[tuple[str, int]]:
        """Each row committed, in order: the call's request id and the pid of the writer."""
        with sqlite3.connect(ledger) as db:
            found = [
                (str(request_id), int(pid))
                for request_id, pid in db.execute(
                    "SELECT request_id, pid FROM created ORDER BY rowid"
                )
            ]
        db.close()
        return found

    def stop(self) -> None:
        """Stop it if it still runs; a stand-in waits for the process it replaces first."""
        if self._standing_by is not None:
            self._standing_by.join(10)
        self._pipe.close()  # the process sees EOF, whether it serves or still waits to
        self._process.join(10)
