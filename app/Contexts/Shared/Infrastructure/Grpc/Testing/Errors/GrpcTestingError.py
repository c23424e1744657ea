"""Root of what the test doubles raise: a mistake in the test, found before it can mislead.

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
