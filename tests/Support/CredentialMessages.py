from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import Message

_FIELD = descriptor_pb2.FieldDescriptorProto


class CredentialMessages:
    """Protobuf classes whose fields are named like credentials, for tests of redaction.

    No .proto of the project has such fields, so these are built at run time in a
    pool of their own (they never reach the default pool a client resolves
    methods from): ``Login`` has ``password``, a ``pin``, a map of ``headers``,
    repeated ``refresh_tokens`` and ``Client`` messages, whose ``client_secret``
    is bytes, beside ordinary fields (``username``, ``client_id``, ``region``).
    """

    def __init__(self) -> None:
        pool = descriptor_pool.DescriptorPool()
        pool.Add(self._file())
        self.login: type[Message] = message_factory.GetMessageClass(
            pool.FindMessageTypeByName("test.credentials.Login")
        )
        self.client: type[Message] = message_factory.GetMessageClass(
            pool.FindMessageTypeByName("test.credentials.Client")
        )

    @staticmethod
    def _file() -> descriptor_pb2.FileDescriptorProto:
        file = descriptor_pb2.FileDescriptorProto(
            name="test/credentials.proto", package="test.credentials", syntax="proto3"
        )
        client = file.message_type.add(name="Client")
        client.field.add(name="client_id", number=1, type=_FIELD.TYPE_STRING)
        client.field.add(name="client_secret", number=2, type=_FIELD.TYPE_BYTES)
        client.field.add(name="region", number=3, type=_FIELD.TYPE_STRING)
        login = file.message_type.add(name="Login")
        entry = login.nested_type.add(name="HeadersEntry")
        entry.options.map_entry = True
        entry.field.add(name="key", number=1, type=_FIELD.TYPE_STRING)
        entry.field.add(name="value", number=2, type=_FIELD.TYPE_STRING)
        repeated = _FIELD.LABEL_REPEATED
        login.field.add(name="username", number=1, type=_FIELD.TYPE_STRING)
        login.field.add(name="password", number=2, type=_FIELD.TYPE_STRING)
        login.field.add(
            name="client", number=3, type=_FIELD.TYPE_MESSAGE, type_name=".test.credentials.Client"
        )
        login.field.add(
            name="headers",
            number=4,
            type=_FIELD.TYPE_MESSAGE,
            label=repeated,
            type_name=".test.credentials.Login.HeadersEntry",
        )
        login.field.add(name="refresh_tokens", number=5, type=_FIELD.TYPE_STRING, label=repeated)
        login.field.add(
            name="clients",
            number=6,
            type=_FIELD.TYPE_MESSAGE,
            label=repeated,
            type_name=".test.credentials.Client",
        )
        login.field.add(name="pin", number=7, type=_FIELD.TYPE_INT32)
        return file
