from app.Contexts.Shared.Infrastructure.Grpc.Testing.Errors.GrpcTestingError import (
    GrpcTestingError,
)


class InvalidFakeAnswer(GrpcTestingError, ValueError):
    """A ``FakeGrpcClient`` was scripted with an answer no real server could give.

    A reply of the wrong message class, a "failure" with status OK or a handler
    that returns something else would let the code under test see a response
    the real client never produces, so a test could pass that production fails.
    """
