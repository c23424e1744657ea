"""The test doubles' exceptions, importable from one place (see ``GrpcTestingError``)."""

from app.Contexts.Shared.Infrastructure.Grpc.Testing.Errors.FakeStreamStalled import (
    FakeStreamStalled,
)
from app.Contexts.Shared.Infrastructure.Grpc.Testing.Errors.GrpcTestingError import (
    GrpcTestingError,
)
from app.Contexts.Shared.Infrastructure.Grpc.Testing.Errors.InvalidFakeAnswer import (
    InvalidFakeAnswer,
)
from app.Contexts.Shared.Infrastructure.Grpc.Testing.Errors.InvalidGrpcTestServerSettings import (
    InvalidGrpcTestServerSettings,
)
from app.Contexts.Shared.Infrastructure.Grpc.Testing.Errors.InvalidServicer import (
    InvalidServicer,
)

__all__ = [
    "FakeStreamStalled",
    "GrpcTestingError",
    "InvalidFakeAnswer",
    "InvalidGrpcTestServerSettings",
    "InvalidServicer",
]
