"""What the test doubles raise: a mistake in the test, not in the code under test.

Root of what the test doubles raise: a mistake in the test, found before it can mislead.

A request the real client would refuse raises the client's own errors (see
``GrpcClientError``), from the fake as from the real client. These are about
the doubles themselves::

    Exception
    └── GrpcTestingError
        ├── InvalidFakeAnswer (ValueError)               a scripted answer no server could give
        ├── FakeStreamStalled (RuntimeError)             a handler waits on a message never written
        ├── InvalidServicer (TypeError)                  not something a grpc server can serve
        └── InvalidGrpcTestServerSettings (ValueError)   options a test server cannot start with
"""


class GrpcTestingError(Exception):
    """Base class, so a helper can catch every misuse of the doubles in one clause."""


class FakeStreamStalled(GrpcTestingError, RuntimeError):
    """A ``FakeGrpcClient`` stream handler waits for a request message the caller never wrote.

    A scripted bidi stream runs its handler when the caller reads, in the
    caller's thread, and the handler sees the messages written before that
    read. A handler that asks for one more while the caller waits for a reply
    would wait forever on a real server too; the fake raises this instead, from
    the read, naming how many messages were written. Write the message before
    reading its answer, or call ``done_writing()`` to end the requests.
    """


class InvalidFakeAnswer(GrpcTestingError, ValueError):
    """A ``FakeGrpcClient`` was scripted with an answer no real server could give.

    A reply of the wrong message class, a "failure" with status OK or a handler
    that returns something else would let the code under test see a response
    the real client never produces, so a test could pass that production fails.
    """


class InvalidGrpcTestServerSettings(GrpcTestingError, ValueError):
    """A ``GrpcTestServer`` option it cannot start with (a bad pool size, port, interceptor...).

    Also sync and grpc.aio pieces in one server (see ``ServerKind``), and a
    server used in a way it cannot be (``health`` with ``health=False``).
    """


class InvalidServicer(GrpcTestingError, TypeError):
    """Something given to ``GrpcTestServer`` that a grpc server cannot serve, or serves twice."""
