import grpc
import grpc.aio

from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcClientSettings import GrpcClientSettings
from app.Contexts.Shared.Infrastructure.Grpc.Client.Security.BearerTokenPlugin import (
    BearerTokenPlugin,
)


class ChannelFactory:
    """The one place that turns settings into grpc channels, blocking or aio.

    Keeping both kinds here means transport concerns (credentials, balancing,
    keepalive) are decided once and cannot drift between ``call`` and
    ``call_async``. Without TLS settings the channel is plaintext. No default
    compression is set on a channel: grpc would let it beat a call's own choice,
    so compression travels with each call (see ``GrpcInvocationFactory``).
    """

    @staticmethod
    def sync(settings: GrpcClientSettings) -> grpc.Channel:
        credentials = ChannelFactory._credentials(settings)
        if credentials is None:
            return grpc.insecure_channel(
                settings.target,
                options=settings.channel_options(),
            )
        return grpc.secure_channel(
            settings.target,
            credentials,
            options=settings.channel_options(),
        )

    @staticmethod
    def aio(settings: GrpcClientSettings) -> grpc.aio.Channel:
        credentials = ChannelFactory._credentials(settings)
        if credentials is None:
            return grpc.aio.insecure_channel(
                settings.target,
                options=settings.channel_options(),
            )
        return grpc.aio.secure_channel(
            settings.target,
            credentials,
            options=settings.channel_options(),
        )

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
