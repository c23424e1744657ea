import pytest

from app.Contexts.Shared.Infrastructure.Grpc.Client.Metadata.GrpcMetadata import GrpcMetadata

PAIRS = (("x-a", "1"), ("x-b", "2"), ("x-a", "3"), ("x-blob-bin", b"\x01"))


def test_lookup_gives_the_first_value_and_get_all_gives_every_value() -> None:
    metadata = GrpcMetadata(PAIRS)

    assert metadata["x-a"] == "1"
    assert metadata.get_all("x-a") == ("1", "3")
    assert metadata.get("missing") is None
    assert metadata.get_all("missing") == ()


def test_keys_are_unique_in_order_and_pairs_are_kept_as_received() -> None:
    metadata = GrpcMetadata(PAIRS)

    assert list(metadata) == ["x-a", "x-b", "x-blob-bin"]
    assert len(metadata) == 3
    assert metadata.pairs() == PAIRS
    assert dict(metadata) == {"x-a": "1", "x-b": "2", "x-blob-bin": b"\x01"}


def test_a_missing_key_raises_key_error() -> None:
    with pytest.raises(KeyError):
        GrpcMetadata(PAIRS)["x-z"]


def test_the_repr_redacts_credentials() -> None:
    text = repr(
        GrpcMetadata((("authorization", "Bearer t0ken"), ("x-user-token", "u"), ("x-a", "1")))
    )

    assert "t0ken" not in text
    assert "'x-user-token', '[redacted]'" in text
    assert "'x-a', '1'" in text
