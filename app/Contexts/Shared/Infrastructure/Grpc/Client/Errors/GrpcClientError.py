"""Root of what the client raises: misuse found before anything is sent.

A server or transport failure is never raised; it comes back as a ``GrpcResponse``
that is not successful (``raise_for_status()`` turns one into the domain's
``RemoteServiceError`` for callers who ask). Everything below means the calling
code must change::

    Exception
    └── GrpcClientError
        ├── InvalidGrpcClientSettings (ValueError)  bad constructor arguments
        │   ├── InvalidTlsSettings                  unreadable, non-PEM or half a key pair
        │   ├── InvalidBearerToken                  malformed, or no TLS to carry it
        │   └── InvalidGrpcClientEnvironment        an override variable with an unusable value
        ├── InvalidGrpcRequest                      the request object is unusable
        │   ├── InvalidGrpcMessage (TypeError)      not a protobuf message, or the wrong one
        │   ├── InvalidGrpcMetadata (ValueError)    a key or value gRPC would reject, or too much
        │   └── InvalidGrpcTimeout (ValueError)     not a positive, finite number of seconds
        ├── InvalidGrpcResponse (ValueError)        a response made by code that could not be one
        ├── UnknownGrpcMethod (LookupError)         no response type can be found for the path
        ├── UnsupportedGrpcMethod                   a call kind the API used cannot make
        ├── GrpcStreamClosed (RuntimeError)         a write or read the stream's state refuses
        ├── GrpcStreamNotFinished (RuntimeError)    a stream's status asked before its end
        ├── InvalidGrpcClientName (ValueError)      a registry name no variable can be made of
        ├── GrpcClientAlreadyRegistered (ValueError)  a registry name given twice
        ├── UnknownGrpcClient (LookupError)         no client of that name in the registry
        └── GrpcClientClosed (RuntimeError)         a call on a closed client, or registry
"""


class GrpcClientError(Exception):
    """Base class, so callers can catch every client misuse in one clause."""
