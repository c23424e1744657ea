import pytest

from grpc_request_client import GrpcMetadata, InvalidGrpcMetadata

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


@pytest.mark.parametrize(
    ("pairs", "says"),
    [
        pytest.param({"ab": "cd"}, "metadata key '<dict>': metadata must be", id="dict"),
        pytest.param("ab", "metadata key '<str>'", id="str"),
        pytest.param(7, "metadata key '<int>'", id="not-iterable"),
        pytest.param([("a", "b", "c")], "metadata key '<tuple>': each item", id="triple"),
        pytest.param(["ab"], "metadata key '<str>': each item", id="bare-str-item"),
        pytest.param([(1, "v")], "metadata key '<int>': keys must be str", id="int-key"),
        pytest.param([("k", 3)], "metadata key 'k': .* got a int value", id="int-value"),
    ],
)
def test_anything_but_key_value_pairs_is_refused_by_name(pairs: object, says: str) -> None:
    with pytest.raises(InvalidGrpcMetadata, match=says):
        GrpcMetadata(pairs)  # type: ignore[arg-type]


def test_a_refused_value_is_never_repeated() -> None:
    with pytest.raises(InvalidGrpcMetadata) as refused:
        GrpcMetadata([("authorization", ["Bearer sk-live-123"])])  # type: ignore[list-item]

    assert "sk-live-123" not in str(refused.value)
