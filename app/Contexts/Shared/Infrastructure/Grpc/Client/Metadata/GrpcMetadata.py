from collections.abc import Iterable, Iterator, Mapping

from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcMetadata import (
    InvalidGrpcMetadata,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcRequest import MetadataValue
from app.Contexts.Shared.Infrastructure.Grpc.Client.Metadata.SensitiveMetadata import (
    SensitiveMetadata,
)

MetadataPairs = tuple[tuple[str, MetadataValue], ...]


class GrpcMetadata(Mapping[str, MetadataValue]):
    """Read-only metadata that keeps every value of a repeated key.

    gRPC metadata is a list of pairs, not a dict: a server may send a key twice.
    ``metadata["k"]`` gives the first value, as ``grpc.aio.Metadata`` does;
    ``get_all("k")`` gives them all and ``pairs()`` the list as received. The
    repr shows every pair but a credential's value (``SensitiveMetadata``).
    Anything but ``(str, str | bytes)`` pairs raises ``InvalidGrpcMetadata``
    (a dict is refused: iterating one gives its keys, which would split into
    pairs of letters), never repeating a value, where credentials travel.
    """

    __slots__ = ("_pairs",)

    def __init__(self, pairs: Iterable[tuple[str, MetadataValue]] = ()) -> None:
        self._pairs: MetadataPairs = _checked(pairs)

    def __getitem__(self, key: str) -> MetadataValue:
        for candidate, value in self._pairs:
            if candidate == key:
                return value
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(key for key, _ in self._pairs))

    def __len__(self) -> int:
        return len({key for key, _ in self._pairs})

    def get_all(self, key: str) -> tuple[MetadataValue, ...]:
        return tuple(value for candidate, value in self._pairs if candidate == key)

    def pairs(self) -> MetadataPairs:
        return self._pairs

    def __repr__(self) -> str:
        return f"GrpcMetadata({list(SensitiveMetadata.redact(self._pairs))!r})"


def _checked(pairs: object) -> MetadataPairs:
    if isinstance(pairs, Mapping | str | bytes) or not isinstance(pairs, Iterable):
        raise InvalidGrpcMetadata(
            f"<{type(pairs).__name__}>", "metadata must be (key, value) pairs, such as a list"
        )
    checked = tuple(pairs)
    for pair in checked:
        if not (isinstance(pair, tuple | list) and len(pair) == 2):
            raise InvalidGrpcMetadata(
                f"<{type(pair).__name__}>", "each item must be a (key, value) pair"
            )
        key, value = pair
        if not isinstance(key, str) or not isinstance(value, str | bytes):
            raise InvalidGrpcMetadata(
                key if isinstance(key, str) else f"<{type(key).__name__}>",
                f"keys must be str and values str or bytes, got a {type(value).__name__} value",
            )
    return tuple((key, value) for key, value in checked)
