import threading

import grpc
from google.protobuf import descriptor_pool
from google.protobuf.message import Message

from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcResponse import GrpcResponse
from app.Contexts.Shared.Infrastructure.Grpc.Testing.Errors.InvalidFakeAnswer import (
    InvalidFakeAnswer,
)
from app.Contexts.Shared.Infrastructure.Grpc.Testing.FakeAnswer import FakeAnswer
from app.Contexts.Shared.Infrastructure.Grpc.Testing.RecordedCall import RecordedCall
from app.Contexts.Shared.Infrastructure.Lifecycle.AfterFork import AfterFork


class FakeScript:
    """The answers a ``FakeGrpcClient`` gives, per method, in the order they were scripted.

    Each call takes the next answer and the last one stays, so one answer
    serves every call and a sequence (UNAVAILABLE, then a reply) plays out once
    over a retried call. A method nothing was scripted for answers UNIMPLEMENTED,
    as a server without it would, naming what is scripted so a typo shows. When
    the service's generated module is imported, a script for a method the
    service lacks, or a reply of the wrong class, is refused as it is written.
    """

    def __init__(self) -> None:
        self._answers: dict[str, list[FakeAnswer]] = {}
        self._lock = threading.Lock()
        AfterFork.register(self, in_child=FakeScript._new_lock)

    def _new_lock(self) -> None:
        """A forked child's lock: another thread of the parent may have held this one."""
        self._lock = threading.Lock()

    def add(self, service: str, method: str, answer: FakeAnswer, reply: Message | None) -> None:
        path = self._checked_path(service, method, reply)
        with self._lock:
            self._answers.setdefault(path, []).append(answer)

    def respond(self, call: RecordedCall, reply_class: type[Message]) -> GrpcResponse:
        with self._lock:
            answers = self._answers.get(call.path, [])
            answer = answers.pop(0) if len(answers) > 1 else next(iter(answers), None)
            scripted = ", ".join(sorted(self._answers)) or "nothing"
        if answer is None:
            return GrpcResponse(
                grpc.StatusCode.UNIMPLEMENTED,
                details=f"FakeGrpcClient has no answer for {call.path}; scripted: {scripted}",
            )
        return answer.respond(call, reply_class)

    @staticmethod
    def _checked_path(service: str, method: str, reply: Message | None) -> str:
        if not (isinstance(service, str) and isinstance(method, str)):
            raise InvalidFakeAnswer(
                f"name the service and method with strings, got {service!r} and {method!r}"
            )
        path = f"/{service}/{method}"
        try:
            known = descriptor_pool.Default().FindServiceByName(service)
        except KeyError:
            return path  # not imported (yet): the call checks the reply against its method
        found = known.methods_by_name.get(method)
        if found is None:
            methods = ", ".join(sorted(known.methods_by_name)) or "none"
            raise InvalidFakeAnswer(
                f"{path}: {service} has no method {method!r} (it has: {methods})"
            )
        if found.client_streaming or found.server_streaming:
            raise InvalidFakeAnswer(f"{path} streams; the client makes unary calls only")
        expected = found.output_type.full_name
        if reply is not None and reply.DESCRIPTOR.full_name != expected:
            raise InvalidFakeAnswer(f"{path} returns {expected}, not {reply.DESCRIPTOR.full_name}")
        return path
