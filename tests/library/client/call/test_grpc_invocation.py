from grpc_request_client import GrpcClientSettings
from grpc_request_client.invocation import GrpcInvocationFactory
from tests.Support.ScriptedRequest import ScriptedRequest


def test_the_repr_names_the_call_and_hides_credentials_and_the_message_body() -> None:
    """A traceback rendering local variables shows it, so it shows what a log line may."""
    request = ScriptedRequest(
        "body-7f3e", metadata={"x-api-key": "s3cr3t-key", "x-client-version": "1.0"}
    )

    invocation = GrpcInvocationFactory(GrpcClientSettings.create("users:50051")).build(
        request, now=0.0
    )

    shown = repr(invocation)
    assert shown.startswith("<GrpcInvocation /user.UserService/GetUser GetUserRequest metadata=")
    assert "('x-api-key', '[redacted]'), ('x-client-version', '1.0')" in shown
    assert shown.endswith(" timeout=30>")
    assert "s3cr3t" not in shown
    assert "body-7f3e" not in shown
