import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

from grpc_request_client import GrpcResponse
from grpc_request_client.testing import FakeGrpcClient, RecordedCall
from protos import user_pb2
from tests.Support.ScriptedRequest import ScriptedRequest

USERS = "user.UserService"


class HeldAnswer:
    """A ``FakeGrpcClient`` handler for GetUser that keeps the call ``"held"`` until let go.

    The fake's stand-in for a slow server: the call that asks for user ``"held"``
    stays inside its attempt, holding its bulkhead slot, until ``release()``
    (or 10 s, so a broken test cannot hang); every other user is answered at
    once. ``holding`` is an open fake with one held call in flight from another
    thread, as a test of what the next call meets needs it.
    """

    def __init__(self) -> None:
        self.entered = threading.Event()
        self._released = threading.Event()

    def __call__(self, call: RecordedCall) -> user_pb2.User:
        if call.message.user_id == "held":
            self.entered.set()
            self._released.wait(10)
        return user_pb2.User(id=call.message.user_id, name=f"user {call.message.user_id}")

    def release(self) -> None:
        self._released.set()

    @staticmethod
    @contextmanager
    def holding(fake: FakeGrpcClient) -> Iterator[tuple["HeldAnswer", Future[GrpcResponse]]]:
        """``fake`` answering through a ``HeldAnswer``, with its held call already inside."""
        held = HeldAnswer()
        fake.handle(USERS, "GetUser", held)
        with ThreadPoolExecutor(max_workers=1) as pool:
            try:
                holder = pool.submit(fake.call, ScriptedRequest("held", timeout=30.0))
                assert held.entered.wait(10), "the held call never reached its attempt"
                yield held, holder
            finally:
                held.release()
