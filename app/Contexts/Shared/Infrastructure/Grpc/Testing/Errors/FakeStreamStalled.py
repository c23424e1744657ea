from app.Contexts.Shared.Infrastructure.Grpc.Testing.Errors.GrpcTestingError import (
    GrpcTestingError,
)


class FakeStreamStalled(GrpcTestingError, RuntimeError):
    """A ``FakeGrpcClient`` stream handler waits for a request message the caller never wrote.

    A scripted bidi stream runs its handler when the caller reads, in the
    caller's thread, and the handler sees the messages written before that
    read. A handler that asks for one more while the caller waits for a reply
    would wait forever on a real server too; the fake raises this instead, from
    the read, naming how many messages were written. Write the message before
    reading its answer, or call ``done_writing()`` to end the requests.
    """
