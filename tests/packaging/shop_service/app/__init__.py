"""The shop service's own ``app``, which an installed grpc-request-client must leave alone."""
