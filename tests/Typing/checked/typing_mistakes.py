"""Mistakes mypy must report: each line after a ``# expect[code]: words`` comment, no other.

Never run, only type-checked, by tests/Typing/test_typing.py: the line after each such
comment must produce an error with that code whose message contains those words.
"""

import functools
from typing import Unpack

from grpc_request_client import (
    BaseGrpcRequest,
    GrpcClient,
    GrpcClientOptions,
    GrpcClientSettings,
    GrpcResponse,
)
from grpc_request_client.testing import FakeGrpcClient, GrpcTestServer
from grpc_request_client.testing.pytest_plugin import StartGrpcTestServer
from protos.catalog_pb2 import Product
from protos.user_pb2 import GetUserRequest, User
from tests.Typing.checked.declared_requests import GetProduct, GetUser, ListUsers


def a_misspelt_attribute_on_a_reply(client: GrpcClient) -> object:
    # expect[attr-defined]: "User" has no attribute "nmae"
    return client.call(GetUser("1")).reply().nmae


async def a_misspelt_attribute_on_a_streamed_reply(client: GrpcClient) -> list[str]:
    async with client.stream_async(ListUsers()) as users:
        # expect[attr-defined]: "User" has no attribute "nmae"
        return [user.nmae async for user in users]


def a_user_where_a_product_is_expected(client: GrpcClient) -> Product:
    # expect[return-value]: (got "User", expected "Product")
    return client.call(GetUser("1")).reply()


def a_response_of_users_kept_as_one_of_products(client: GrpcClient) -> None:
    # expect[arg-type]: "call" of "GrpcClient" has incompatible type "GetUser"; expected "GrpcRequest[Product]"
    products: GrpcResponse[Product] = client.call(GetUser("1"))
    del products


def a_message_of_a_failed_call_is_none(client: GrpcClient) -> str:
    # expect[union-attr]: Item "None" of "User | None" has no attribute "name"
    return client.call(GetUser("1")).message().name


def the_end_of_a_stream_is_none(client: GrpcClient) -> str:
    with client.stream(ListUsers()) as users:
        # expect[union-attr]: Item "None" of "User | None" has no attribute "name"
        return users.read().name


class GetUserAnsweredByAProduct(GetProduct):
    # expect[override]: Return type "type[User]" of "response_class" incompatible with return type "type[Product] | None"
    def response_class(self) -> type[User]:
        return User


# expect[type-var]: Type argument "str" of "BaseGrpcRequest" must be a subtype of "Message"
class RepliedByText(BaseGrpcRequest[str]):
    def service_name(self) -> str:
        return "user.UserService"

    def method_name(self) -> str:
        return "GetUser"

    def message(self) -> GetUserRequest:
        return GetUserRequest()


def a_misspelt_option() -> GrpcClient:
    # expect[call-arg]: Unexpected keyword argument "default_timout" for "GrpcClient"; did you mean "default_timeout"?
    return GrpcClient("users:50051", default_timout=1.0)


def an_option_of_the_wrong_type() -> GrpcClient:
    # expect[arg-type]: Argument "default_timeout" to "GrpcClient" has incompatible type "str"; expected "float"
    return GrpcClient("users:50051", default_timeout="fast")


def options_of_settings_and_the_fake() -> None:
    # expect[arg-type]: Argument "wait_for_ready" to "create" of "GrpcClientSettings" has incompatible type "str"; expected "bool"
    GrpcClientSettings.create("users:50051", wait_for_ready="yes")
    # expect[call-arg]: Unexpected keyword argument "retries" for "FakeGrpcClient"
    FakeGrpcClient(retries=3)
    # expect[arg-type]: Argument "load_balancing" to "GrpcClient" has incompatible type "int"; expected "str | None"
    functools.partial(GrpcClient, load_balancing=1)


def a_misspelt_test_server_option(grpc_test_server: StartGrpcTestServer) -> GrpcTestServer:
    # expect[call-arg]: Unexpected keyword argument "helth" for "__call__" of "StartGrpcTestServer"
    return grpc_test_server(object(), helth=False)


def a_misspelt_option_forwarded(**options: Unpack[GrpcClientOptions]) -> GrpcClient:
    # expect[call-arg]: Unexpected keyword argument "keepalive_time" for "a_misspelt_option_forwarded"
    a_misspelt_option_forwarded(keepalive_time=30)
    return GrpcClient("users:50051", **options)
