import pytest

from grpc_request_client.lifecycle import ClosesOnExit


class Holder(ClosesOnExit):
    def __init__(self) -> None:
        self.closed_by: list[str] = []

    def close(self) -> None:
        self.closed_by.append("close")

    async def aclose(self) -> None:
        self.closed_by.append("aclose")


def test_with_hands_back_the_holder_and_closes_it() -> None:
    holder = Holder()

    with holder as entered:
        assert entered is holder

    assert holder.closed_by == ["close"]


def test_with_closes_even_when_the_block_raises() -> None:
    holder = Holder()

    def fail_inside() -> None:
        with holder:
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail_inside()

    assert holder.closed_by == ["close"]


async def test_async_with_closes_through_aclose() -> None:
    holder = Holder()

    async with holder as entered:
        assert entered is holder

    assert holder.closed_by == ["aclose"]


def test_a_holder_that_cannot_close_cannot_be_made() -> None:
    class Forgetful(ClosesOnExit):
        async def aclose(self) -> None:
            return None

    with pytest.raises(TypeError, match="close"):
        Forgetful()  # type: ignore[abstract]
