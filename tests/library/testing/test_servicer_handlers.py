import grpc
import pytest

from app.Demo.DemoProductService import DemoProductService
from app.Demo.DemoUserService import DemoUserService
from grpc_request_client.testing import InvalidServicer
from grpc_request_client.testing.server import ServicerHandlers
from protos import user_pb2_grpc
from tests.Support.RecordingUserService import RecordingUserService


class FurtherDown(RecordingUserService):
    """Two classes away from the generated servicer, as a service with a shared base is."""


@pytest.mark.parametrize(
    "servicer",
    [user_pb2_grpc.UserServiceServicer(), RecordingUserService(), FurtherDown()],
    ids=["generated-base", "subclass", "subclass-of-a-subclass"],
)
def test_a_generated_servicer_is_registered_by_its_generated_function(servicer: object) -> None:
    found = ServicerHandlers.of([servicer])

    assert found.service_names() == ("user.UserService",)
    assert all(isinstance(handler, grpc.GenericRpcHandler) for handler in found.handlers)


def test_a_generic_handler_is_taken_as_it_is() -> None:
    handler = DemoProductService().rpc_handler()

    found = ServicerHandlers.of([RecordingUserService(), handler])

    assert found.handlers[-1] is handler
    assert found.service_names() == ("user.UserService", "catalog.ProductService")


def test_a_handler_that_names_no_service_is_served_but_not_named() -> None:
    class Anything(grpc.GenericRpcHandler):
        def service(self, handler_call_details: grpc.HandlerCallDetails) -> None:
            return None

    found = ServicerHandlers.of([Anything()])

    assert len(found.handlers) == 1
    assert found.service_names() == ()


@pytest.mark.parametrize(
    ("servicers", "says"),
    [
        pytest.param(
            [RecordingUserService],
            "RecordingUserService is a class; pass an instance: RecordingUserService\\(\\)",
            id="a-class",
        ),
        pytest.param([object()], "object is neither a generated servicer", id="object"),
        pytest.param(["user.UserService"], "str is neither a generated servicer", id="a-name"),
        pytest.param(
            [DemoUserService()],
            "DemoUserService is neither .* or pass a handler",
            id="an-object-that-makes-handlers",
        ),
        pytest.param(
            [RecordingUserService(), FurtherDown()],
            "user.UserService is served twice; grpc would only ever call the first one",
            id="one-service-twice",
        ),
        pytest.param(
            [DemoUserService().rpc_handler(), RecordingUserService()],
            "user.UserService is served twice",
            id="one-service-twice-two-ways",
        ),
    ],
)
def test_what_a_server_cannot_serve_is_refused_by_name(servicers: list[object], says: str) -> None:
    with pytest.raises(InvalidServicer, match=says):
        ServicerHandlers.of(servicers).service_names()
