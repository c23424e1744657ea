import collections
import threading
import time
from collections.abc import Iterator

import grpc

from protos import user_pb2, user_pb2_grpc


class RecordingUserService(user_pb2_grpc.UserServiceServicer):
    """A user service whose behaviour is picked by the user id, recording what it received.

    ``fail-2-UNAVAILABLE`` fails twice then answers; ``always-UNAVAILABLE`` never does.

    Every GetUser reply echoes the x-trace-id it saw in trailing metadata, so
    tests can check per call which trace arrived. ``peers`` tells how many
    connections the calls came over.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.received: list[dict[str, str | bytes]] = []
        self.received_pairs: list[tuple[tuple[str, str | bytes], ...]] = []
        self.peers: list[str] = []
        self._seen: collections.Counter[str] = collections.Counter()

    def GetUser(
        self, request: user_pb2.GetUserRequest, context: grpc.ServicerContext
    ) -> user_pb2.User:
        metadata = self._record(context)
        trace_id = str(metadata.get("x-trace-id", ""))
        user_id = request.user_id
        self._fail_as_scripted(user_id, context)
        if user_id == "404":
            context.set_trailing_metadata((("x-error-code", "U404"), ("x-seen-trace-id", trace_id)))
            context.abort(grpc.StatusCode.NOT_FOUND, "user 404 not found")
        if user_id == "slow":
            deadline = time.monotonic() + 5
            while context.is_active() and time.monotonic() < deadline:
                time.sleep(0.01)
            return user_pb2.User(id=user_id)
        if user_id == "meta":
            context.send_initial_metadata((("x-initial", "i1"),))
            context.set_trailing_metadata(
                (
                    ("x-rep", "a"),
                    ("x-rep", "b"),
                    ("x-blob-bin", b"\x00\x01"),
                    ("x-seen-trace-id", trace_id),
                )
            )
            return user_pb2.User(id=user_id)
        context.set_trailing_metadata((("x-seen-trace-id", trace_id),))
        name = "x" * 10_000 if user_id == "big" else f"user {user_id}"
        return user_pb2.User(id=user_id, name=name, email=f"{user_id}@example.com")

    def ListUsers(
        self, request: user_pb2.ListUsersRequest, context: grpc.ServicerContext
    ) -> Iterator[user_pb2.User]:
        """``limit`` users, ``user 0`` onwards: a server stream for tests that need one here."""
        self._record(context)
        for index in range(request.limit):
            yield user_pb2.User(id=str(index), name=f"user {index}")

    def CreateUser(
        self, request: user_pb2.CreateUserRequest, context: grpc.ServicerContext
    ) -> user_pb2.User:
        self._record(context)
        return user_pb2.User(
            id=f"u-{request.name}", name=request.name, email=request.email, age=request.age
        )

    def _fail_as_scripted(self, user_id: str, context: grpc.ServicerContext) -> None:
        """``fail-<n>-<CODE>`` fails the first n calls with CODE; ``always-<CODE>`` every call.

        Anything after another dash is a label, giving a test separate counters.
        """
        kind, *parts = user_id.split("-")
        if kind not in ("fail", "always"):
            return
        with self._lock:
            self._seen[user_id] += 1
            seen = self._seen[user_id]
        failures, code = (int(parts[0]), parts[1]) if kind == "fail" else (seen, parts[0])
        if seen <= failures:
            context.abort(grpc.StatusCode[code], f"scripted {code} #{seen}")

    def _record(self, context: grpc.ServicerContext) -> dict[str, str | bytes]:
        pairs = tuple((key, value) for key, value in context.invocation_metadata())
        metadata = dict(pairs)
        with self._lock:
            self.received.append(metadata)
            self.received_pairs.append(pairs)
            self.peers.append(context.peer())
        return metadata
