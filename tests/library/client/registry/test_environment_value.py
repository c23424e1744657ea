import grpc
import pytest

from grpc_request_client.declaration import EnvironmentValue


@pytest.mark.parametrize(("raw", "expected"), [("7", 7), ("-1", -1), (" 12 ", 12)])
def test_integer(raw: str, expected: int) -> None:
    assert EnvironmentValue.integer(raw) == expected


@pytest.mark.parametrize("raw", ["7.5", "seven", "0x10"])
def test_not_an_integer(raw: str) -> None:
    with pytest.raises(ValueError, match=f"must be a whole number, got {raw!r}"):
        EnvironmentValue.integer(raw)


@pytest.mark.parametrize(("raw", "expected"), [("2.5", 2.5), ("3", 3.0), ("1e-3", 0.001)])
def test_number(raw: str, expected: float) -> None:
    assert EnvironmentValue.number(raw) == expected


def test_not_a_number() -> None:
    with pytest.raises(ValueError, match="must be a number, got '5s'"):
        EnvironmentValue.number("5s")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("true", True), ("YES", True), ("1", True), ("On", True), ("false", False), ("0", False)],
)
def test_boolean(raw: str, expected: bool) -> None:
    assert EnvironmentValue.boolean(raw) is expected


def test_not_a_boolean() -> None:
    with pytest.raises(ValueError, match=r"\['1', 'on', 'true', 'yes'\] or \['0', 'false'"):
        EnvironmentValue.boolean("enabled")


def test_status_codes_are_names_separated_by_commas() -> None:
    assert EnvironmentValue.status_codes("unavailable , INTERNAL") == {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.INTERNAL,
    }
    assert EnvironmentValue.status_codes("NONE") == frozenset()


@pytest.mark.parametrize("raw", ["UNAVAILABLE;INTERNAL", "14", "UNAVAILABLE,"])
def test_not_status_codes(raw: str) -> None:
    with pytest.raises(ValueError, match="must be grpc status code names separated by ','"):
        EnvironmentValue.status_codes(raw)


def test_pem_text_becomes_bytes_and_anything_else_is_a_path() -> None:
    text = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"

    assert EnvironmentValue.pem(text) == text.encode()
    assert EnvironmentValue.pem("/etc/ssl/ca.pem") == "/etc/ssl/ca.pem"


def test_optional_reads_none_as_none_and_anything_else_as_the_setting_does() -> None:
    read = EnvironmentValue.optional(EnvironmentValue.integer)

    assert read("None") is None
    assert read("5") == 5
    with pytest.raises(ValueError, match="must be a whole number"):
        read("")
