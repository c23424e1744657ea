import uuid

import pytest

from grpc_request_client.context import TraceId


def test_generated_ids_are_unique_and_valid() -> None:
    ids = {TraceId.generate() for _ in range(1000)}

    assert len(ids) == 1000
    assert all(TraceId.is_valid(trace_id) for trace_id in ids)


def test_generated_ids_are_uuid4_in_hex() -> None:
    for _ in range(200):
        generated = TraceId.generate()
        parsed = uuid.UUID(hex=generated)

        assert parsed.hex == generated
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122


@pytest.mark.parametrize(
    "candidate",
    [
        "f6790705-5168-4bb3-ae7e-37c966d412be",  # a uuid4 as str(uuid.uuid4()) spells it
        "4bf92f3577b34da6a3ce929d0e0e4736",
        "01ARZ3NDEKTSV4RRFFQ69G5FAV",
        "req.2024:42_a",
    ],
)
def test_common_id_formats_are_accepted(candidate: str) -> None:
    assert TraceId.is_valid(candidate)


@pytest.mark.parametrize(
    "candidate",
    [
        None,
        42,
        "",
        "abc",
        "a" * 129,
        "-leading-dash",
        "id with spaces",
        "id\r\nx-injected: 1",
        "<script>",
    ],
)
def test_anything_else_is_refused(candidate: object) -> None:
    assert not TraceId.is_valid(candidate)
