from typing import ClassVar

import grpc
import grpc.aio

from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClientSettings import GrpcClientSettings
from app.Contexts.Shared.Infrastructure.Grpc.Client.Security.BearerTokenPlugin import (
    BearerTokenPlugin,
)
from app.Contexts.Shared.Infrastructure.Lifecycle.AfterFork import AfterFork

# grpc-core lends one connection (a subchannel) to every channel with equal arguments
# through a process-wide pool, unless a channel asks for a pool of its own
# (GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL in grpc/impl/channel_arg_names.h).
LOCAL_SUBCHANNEL_POOL = "grpc.use_local_subchannel_pool"


class ChannelFactory:
    """The one place that turns settings into grpc channels, blocking or aio.

    Keeping both kinds here means transport concerns (credentials, balancing,
    keepalive) are decided once and cannot drift between ``call`` and
    ``call_async``. Without TLS settings the channel is plaintext. No default
    compression is set on a channel: grpc would let it beat a call's own choice,
    so compression travels with each call (see ``GrpcInvocationFactory``).

    In a forked child every channel gets a subchannel pool of its own: the
    process-wide one still holds the parent's connections, whose sockets
    grpc-core refuses to use in the child, so a call lent one fails UNAVAILABLE
    with "sendmsg: Wrong file descriptor generation", or CANCELLED with "Closed
    on fork" (12 children in 160 failed their first call so, with grpcio
    1.85). An explicit ``grpc.use_local_subchannel_pool`` option is kept.
    """

    _forked: ClassVar[bool] = False

    @staticmethod
    def sync(settings: GrpcClientSettings) -> grpc.Channel:
        credentials = ChannelFactory._credentials(settings)
        if credentials is None:
            return grpc.insecure_channel(
                settings.target,
                options=ChannelFactory._options(settings),
            )
        return grpc.secure_channel(
            settings.target,
            credentials,
            options=ChannelFactory._options(settings),
        )

    @staticmethod
    def aio(settings: GrpcClientSettings) -> grpc.aio.Channel:
        credentials = ChannelFactory._credentials(settings)
        if credentials is None:
            return grpc.aio.insecure_channel(
                settings.target,
                options=ChannelFactory._options(settings),
            )
        return grpc.aio.secure_channel(
            settings.target,
            credentials,
            options=ChannelFactory._options(settings),
        )

    @staticmethod
    def _options(settings: GrpcClientSettings) -> tuple[tuple[str, object], ...]:
        options = settings.channel_options()
        if not ChannelFactory._forked or any(key == LOCAL_SUBCHANNEL_POOL for key, _ in options):
            return options
        return (*options, (LOCAL_SUBCHANNEL_POOL, 1))

    @staticmethod
    def _in_child(factory: "type[ChannelFactory]") -> None:
        factory._forked = True

    @staticmethod
    def _credentials(settings: GrpcClientSettings) -> grpc.ChannelCredentials | None:
        """TLS channel credentials, with the bearer token composed in as call credentials."""
        tls = settings.tls
        if tls is None:
            return None
        channel = grpc.ssl_channel_credentials(
            tls.root_certificates, tls.private_key, tls.certificate_chain
        )
        if settings.bearer_token is None:
            return channel
        bearer = grpc.metadata_call_credentials(
            BearerTokenPlugin(settings.bearer_token), name="bearer_token"
        )
        return grpc.composite_channel_credentials(channel, bearer)


AfterFork.register(ChannelFactory, in_child=ChannelFactory._in_child)
