import io
from typing import Any

from google.protobuf import text_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from app.Contexts.Shared.Infrastructure.Grpc.Client.Metadata.SensitiveMetadata import (
    REDACTED,
    SensitiveMetadata,
)


class RedactedMessageText:
    """A protobuf message on one line, as ``text_format`` writes it, credentials hidden.

    A field whose name ``SensitiveMetadata`` finds sensitive (``password``,
    ``api_key``, ``refresh_token``...) shows ``[redacted]`` instead of its value,
    at any depth, and so does the value of a map entry whose key is such a name
    (``headers { key: "authorization" value: [redacted] }``): a request message can
    carry a credential as well as metadata can.
    """

    @staticmethod
    def of(message: Message) -> str:
        return " ".join(
            RedactedMessageText._field(field, value) for field, value in message.ListFields()
        )

    @staticmethod
    def _field(field: FieldDescriptor, value: Any) -> str:
        if SensitiveMetadata.is_sensitive(field.name):
            return f"{field.name}: {REDACTED}"
        entry = field.message_type
        if entry is not None and entry.GetOptions().map_entry:
            return " ".join(
                RedactedMessageText._entry(field, entry, key, value[key]) for key in sorted(value)
            )
        values = value if field.is_repeated else (value,)
        return " ".join(RedactedMessageText._value(field, item) for item in values)

    @staticmethod
    def _entry(field: FieldDescriptor, entry: Descriptor, key: object, value: object) -> str:
        fields = entry.fields_by_name
        shown = (
            f"value: {REDACTED}"
            if isinstance(key, str) and SensitiveMetadata.is_sensitive(key)
            else RedactedMessageText._value(fields["value"], value)
        )
        return RedactedMessageText._braced(
            field, f"{RedactedMessageText._value(fields['key'], key)} {shown}"
        )

    @staticmethod
    def _value(field: FieldDescriptor, value: Any) -> str:
        if isinstance(value, Message):
            return RedactedMessageText._braced(field, RedactedMessageText.of(value))
        out = io.StringIO()
        text_format.PrintField(field, value, out, as_one_line=True)
        return out.getvalue().strip()

    @staticmethod
    def _braced(field: FieldDescriptor, inner: str) -> str:
        name = f"[{field.full_name}]" if field.is_extension else field.name
        return f"{name} {{ {inner} }}" if inner else f"{name} {{ }}"
