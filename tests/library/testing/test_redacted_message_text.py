import pytest
from google.protobuf import struct_pb2, text_format
from google.protobuf.message import Message

from grpc_request_client.testing.fake import RedactedMessageText
from protos import order_pb2, user_pb2
from tests.Support.CredentialMessages import CredentialMessages


@pytest.mark.parametrize(
    "message",
    [
        user_pb2.GetUserRequest(user_id="7"),
        user_pb2.GetUserRequest(),
        order_pb2.CreateOrderRequest(
            user_id="u-1",
            items=[order_pb2.OrderItem(product_id="p-1", quantity=2, price=9.5), {}],
            total=19.0,
        ),
        struct_pb2.Struct(fields={"b": struct_pb2.Value(string_value='ñ "q"\n'), "a": {}}),
    ],
    ids=["scalar", "empty", "nested-and-repeated", "map-and-escapes"],
)
def test_a_message_without_credentials_reads_as_text_format_writes_it(message: Message) -> None:
    assert RedactedMessageText.of(message) == text_format.MessageToString(message, as_one_line=True)


def test_fields_named_like_credentials_are_hidden_at_any_depth() -> None:
    messages = CredentialMessages()
    login = messages.login(
        username="ada",
        password="s3cr3t-password",
        client=messages.client(client_id="c-1", client_secret=b"s3cr3t-bytes", region="eu"),
        headers={"authorization": "Bearer s3cr3t-header", "accept-language": "en"},
        refresh_tokens=["s3cr3t-refresh"],
        clients=[messages.client(client_secret=b"s3cr3t-repeated")],
        pin=4242,
    )

    assert RedactedMessageText.of(login) == (
        'username: "ada" password: [redacted] '
        'client { client_id: "c-1" client_secret: [redacted] region: "eu" } '
        'headers { key: "accept-language" value: "en" } '
        'headers { key: "authorization" value: [redacted] } '
        "refresh_tokens: [redacted] clients { client_secret: [redacted] } pin: [redacted]"
    )
