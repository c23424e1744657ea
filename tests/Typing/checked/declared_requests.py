"""Request classes the checked files share: typed ones, and the seed's untyped style."""

from grpc_request_client import BaseGrpcRequest, StreamingGrpcRequest
from protos.catalog_pb2 import GetProductRequest, Product
from protos.storage_pb2 import ObjectChunk, UploadResult
from protos.user_pb2 import GetUserRequest, ListUsersRequest, User


class GetUser(BaseGrpcRequest[User]):
    def __init__(self, user_id: str) -> None:
        self._user_id = user_id

    def service_name(self) -> str:
        return "user.UserService"

    def method_name(self) -> str:
        return "GetUser"

    def message(self) -> GetUserRequest:
        return GetUserRequest(user_id=self._user_id)


class ListUsers(BaseGrpcRequest[User]):
    def service_name(self) -> str:
        return "user.UserService"

    def method_name(self) -> str:
        return "ListUsers"

    def message(self) -> ListUsersRequest:
        return ListUsersRequest(limit=10)


class GetProduct(BaseGrpcRequest[Product]):
    def service_name(self) -> str:
        return "catalog.ProductService"

    def method_name(self) -> str:
        return "GetProduct"

    def message(self) -> GetProductRequest:
        return GetProductRequest(product_id="p-1")


class UploadObject(StreamingGrpcRequest[UploadResult]):
    def service_name(self) -> str:
        return "storage.ObjectStorage"

    def method_name(self) -> str:
        return "UploadObject"

    def messages(self) -> list[ObjectChunk]:
        return [ObjectChunk(object_key="k", offset=0, data=b"data")]


class SeedGetUser(BaseGrpcRequest):
    """The seed's style: no reply class declared, so replies are ``Any``."""

    def service_name(self) -> str:
        return "user.UserService"

    def method_name(self) -> str:
        return "GetUser"

    def message(self) -> GetUserRequest:
        return GetUserRequest(user_id="1")


class SeedListUsers(BaseGrpcRequest):
    def service_name(self) -> str:
        return "user.UserService"

    def method_name(self) -> str:
        return "ListUsers"

    def message(self) -> ListUsersRequest:
        return ListUsersRequest(limit=10)
