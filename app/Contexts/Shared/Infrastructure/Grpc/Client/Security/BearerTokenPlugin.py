import grpc

from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidBearerToken import (
    InvalidBearerToken,
)
from app.Contexts.Shared.Infrastructure.Grpc.Client.Security.BearerToken import BearerToken


class BearerTokenPlugin(grpc.AuthMetadataPlugin):
    """grpc call credentials that ask the ``BearerToken`` for its value on every call.

    grpc's ``access_token_call_credentials`` is the same plugin holding a fixed
    string; this one also serves providers. When a provider fails, the call
    fails instead: grpc answers it UNAVAILABLE with this plugin's error as the
    details, so the caller gets a response as for any transport failure. Those
    details name the exception's type only, since its text may hold a secret,
    and catching everything here also keeps grpc from logging a traceback.
    """

    def __init__(self, token: BearerToken) -> None:
        self._token = token

    def __call__(
        self, context: grpc.AuthMetadataContext, callback: grpc.AuthMetadataPluginCallback
    ) -> None:
        try:
            token = self._token.current()
        except InvalidBearerToken as error:
            callback((), error)
        except Exception as error:  # whatever a provider raises fails this call only
            failure = f"the bearer token provider raised {type(error).__name__}"
            callback((), InvalidBearerToken(failure))
        else:
            callback((("authorization", f"Bearer {token}"),), None)

    def __repr__(self) -> str:
        return f"<BearerTokenPlugin {self._token!r}>"
