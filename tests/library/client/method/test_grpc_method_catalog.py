import grpc
import pytest

from grpc_request_client import (
    GrpcClient,
    InvalidGrpcMessage,
    InvalidGrpcRequest,
    UnknownGrpcMethod,
    UnsupportedGrpcMethod,
)
from protos import catalog_pb2, user_pb2
from tests.conftest import Invoke
from tests.Support.RunningServer import RunningServer
from tests.Support.ScriptedRequest import ScriptedRequest


def _hidden_echo_handler() -> grpc.GenericRpcHandler:
    """A method whose descriptors the client cannot know: it is in no imported .proto."""

    def echo(request: user_pb2.GetUserRequest, context: grpc.ServicerContext) -> user_pb2.User:
        return user_pb2.User(id=request.user_id, name="hidden")

    handler = grpc.unary_unary_rpc_method_handler(
        echo,
        request_deserializer=user_pb2.GetUserRequest.FromString,
        response_serializer=user_pb2.User.SerializeToString,
    )
    return grpc.method_handlers_generic_handler("hidden.EchoService", {"Echo": handler})


async def test_a_request_can_declare_the_reply_class_of_a_service_outside_the_pool(
    invoke: Invoke,
) -> None:
    request = ScriptedRequest(
        "5", service="hidden.EchoService", method="Echo", response_class=user_pb2.User
    )
    with RunningServer.start(_hidden_echo_handler()) as server, GrpcClient(server.target) as client:
        response = await invoke(client, request)

    assert response.message() == user_pb2.User(id="5", name="hidden")


@pytest.mark.parametrize(
    ("request_", "error", "says"),
    [
        pytest.param(
            ScriptedRequest(message={"user_id": "1"}),
            InvalidGrpcMessage,
            "/user.UserService/GetUser takes user.GetUserRequest; message\\(\\) returned dict",
            id="not-a-protobuf-message",
        ),
        pytest.param(
            ScriptedRequest(message=catalog_pb2.GetProductRequest(product_id="p")),
            InvalidGrpcMessage,
            "takes user.GetUserRequest; message\\(\\) returned catalog.GetProductRequest",
            id="wrong-message-type",
        ),
        pytest.param(
            ScriptedRequest(service="nowhere.GhostService"),
            UnknownGrpcMethod,
            "not in the protobuf descriptor pool.*import.*response_class",
            id="unknown-service",
        ),
        pytest.param(
            ScriptedRequest(method="GetUsr"),
            UnknownGrpcMethod,
            "has no method 'GetUsr' \\(it has: CreateUser, GetUser, ListUsers\\)",
            id="unknown-method",
        ),
        pytest.param(
            ScriptedRequest(method="ListUsers", message=user_pb2.ListUsersRequest()),
            UnsupportedGrpcMethod,
            "is server streaming: make it with client.stream\\(request\\).*not call\\(\\)",
            id="streaming-method-through-call",
        ),
        pytest.param(
            ScriptedRequest(response_class=catalog_pb2.Product),
            InvalidGrpcRequest,
            "returns user.User, but response_class\\(\\) declares catalog.Product",
            id="declared-reply-contradicts-descriptor",
        ),
        pytest.param(
            ScriptedRequest(service="x.Y", response_class=dict),
            InvalidGrpcRequest,
            "is not a protobuf message class",
            id="declared-reply-not-a-message-class",
        ),
        pytest.param(
            ScriptedRequest(service=None),
            InvalidGrpcRequest,
            "not a qualified service name",
            id="service-none",
        ),
        pytest.param(
            ScriptedRequest(service=["user.UserService"]),
            InvalidGrpcRequest,
            "must be strings",
            id="service-unhashable",
        ),
        pytest.param(
            ScriptedRequest(method="Get User"),
            InvalidGrpcRequest,
            "is not a method name",
            id="method-with-space",
        ),
        pytest.param(
            ScriptedRequest(
                service="hidden.EchoService",
                method="Echo",
                message=object(),
                response_class=user_pb2.User,
            ),
            InvalidGrpcMessage,
            "takes a protobuf message; message\\(\\) returned object",
            id="declared-method-still-needs-a-protobuf-message",
        ),
    ],
)
async def test_an_unusable_request_raises_a_named_error_and_sends_nothing(
    client: GrpcClient,
    server: RunningServer,
    invoke: Invoke,
    request_: ScriptedRequest,
    error: type[Exception],
    says: str,
) -> None:
    with pytest.raises(error, match=says):
        await invoke(client, request_)

    assert server.service.received == []


async def test_something_that_is_not_a_request_is_refused(
    client: GrpcClient, invoke: Invoke
) -> None:
    with pytest.raises(InvalidGrpcRequest, match="expected a GrpcRequest, got str"):
        await invoke(client, "user.UserService/GetUser")  # type: ignore[arg-type]


async def test_a_failed_resolution_is_not_remembered(client: GrpcClient, invoke: Invoke) -> None:
    """A service whose module is imported after a failed call works on the next call."""
    request = ScriptedRequest(service="user.UserService", method="GetUser")
    await invoke(client, request)

    with pytest.raises(UnknownGrpcMethod):
        await invoke(client, ScriptedRequest(service="late.Service"))
    assert (await invoke(client, request)).is_success()
