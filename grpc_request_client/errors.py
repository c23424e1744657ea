"""Everything the library raises, in three trees and three id errors.

Misuse raises; a failure of the server or the network never does. It comes back as a
``GrpcResponse`` that is not successful, and ``raise_for_status()`` turns it into a
``RemoteServiceError`` (``grpc_request_client.remote_errors``) for callers who ask.

The client's misuse, found before anything is sent; the calling code must change::

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
        ├── GrpcRequestMessagesFailed               messages() raised mid-call, chained from it
        ├── GrpcStreamNotFinished (RuntimeError)    a stream's status asked before its end
        ├── InvalidGrpcClientName (ValueError)      a registry name no variable can be made of
        ├── GrpcClientAlreadyRegistered (ValueError)  a registry name given twice
        ├── UnknownGrpcClient (LookupError)         no client of that name in the registry
        └── GrpcClientClosed (RuntimeError)         a call on a closed client, or registry

Service discovery: no usable address for a name; the configuration must change::

    Exception
    └── ServiceDiscoveryError
        ├── ServiceNotFound (LookupError)         the registry has no address for the name
        ├── InvalidServiceAddress (ValueError)    it has one, but no grpc target can be made of it
        └── InvalidServiceRegistry (ValueError)   the registry was built with unusable arguments

Observability set up wrongly, raised when a stage or an interceptor is made::

    Exception
    └── GrpcObservabilityError
        ├── InvalidOpenTelemetrySetup (ValueError)   a provider or propagator of the wrong kind
        ├── InvalidPrometheusMetrics (ValueError)    a registry, namespace or buckets unusable
        └── PrometheusMetricsConflict (ValueError)   the registry holds these names otherwise

An id given in code to ``RequestContext`` that could not travel as gRPC metadata:
``InvalidTraceId``, ``InvalidCorrelationId`` and ``InvalidUserId``, each a ``ValueError``.
"""


class GrpcClientError(Exception):
    """Base class, so callers can catch every client misuse in one clause."""


class GrpcClientAlreadyRegistered(GrpcClientError, ValueError):
    """A name, or another spelling of it, was registered twice.

    Replacing the first settings silently would leave whoever got its client
    talking to a service the configuration no longer describes.
    """


class GrpcClientClosed(GrpcClientError, RuntimeError):
    """A call was made after ``close()``: reopening silently would leak the connection again."""


class GrpcStreamClosed(GrpcClientError, RuntimeError):
    """A stream was used in a way its state no longer allows; the message says what was not done.

    Writing after ``done_writing()``, after the stream ended or on a stream
    whose request sends its own ``messages()``; reading a stream the caller
    closed (a loop left early), which would otherwise look like one that ended.
    Nothing was sent.
    """


class GrpcRequestMessagesFailed(GrpcClientError):
    """The iterator a request's ``messages()`` returned raised while the call sent its messages.

    Raised by ``call()``, ``call_async()`` and by reading a ``stream()`` or
    ``stream_async()``, alike: the call was cancelled first, never half-closed,
    so the server gets a cancelled call rather than the end of a complete
    stream. ``__cause__`` is the exception the iterator raised (an ``Exception``,
    or a ``CancelledError`` of its own); the message names its type, never its
    text, and how many messages went out before. ``KeyboardInterrupt`` and
    ``SystemExit`` are not caught.
    """


class GrpcStreamNotFinished(GrpcClientError, RuntimeError):
    """A stream's final status was asked for before the stream ended.

    Status, details and trailing metadata exist once the last message has been
    read (or the stream was closed); initial metadata once the first message
    has arrived. Reading on to the end, or leaving the ``with`` block, settles it.
    """


class InvalidGrpcClientSettings(GrpcClientError, ValueError):
    """A client was built with settings it could never use; raised by the constructor."""


class InvalidBearerToken(InvalidGrpcClientSettings):
    """A bearer token that cannot be sent: malformed, or with no TLS to carry it.

    The message says what is wrong with the token and never repeats it.
    """


class InvalidGrpcClientEnvironment(InvalidGrpcClientSettings):
    """An environment variable overrides a client setting with a value it could never use.

    Raised when the service is registered, so a deployment's typo stops the
    process at start-up. ``variable`` names the variable; the message quotes
    the value only when it is not a secret (a bearer token, a private key).
    """

    def __init__(self, variable: str, reason: str) -> None:
        super().__init__(f"{variable}: {reason}")
        self.variable = variable


class InvalidTlsSettings(InvalidGrpcClientSettings):
    """TLS material the client could never use: unreadable, not PEM, or half of a key pair.

    The message names the field and, for a file, its path; it never quotes the
    material itself, since one of the fields is a private key.
    """


class InvalidGrpcClientName(GrpcClientError, ValueError):
    """A client registry name no environment variable can be made of (empty, a space, a ``:``)."""


class InvalidGrpcRequest(GrpcClientError):
    """A request object declares something that cannot be sent; nothing went on the wire."""


class InvalidGrpcMessage(InvalidGrpcRequest, TypeError):
    """``message()`` returned something the method cannot take.

    Also a ``TypeError`` because that is what it is: code that catches type errors
    around a call keeps working.
    """


class InvalidGrpcMetadata(InvalidGrpcRequest, ValueError):
    """A metadata key or value that gRPC would reject or mangle, or more than a server takes.

    ``key`` names the offending key, ``""`` when the metadata as a whole is not
    a mapping or ``(key, value)`` pairs (then ``reason`` says what it was); the
    value is never repeated in the message, since metadata values are where
    credentials travel.
    """

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"metadata key {key!r}: {reason}" if key else reason)
        self.key = key


class InvalidGrpcTimeout(InvalidGrpcRequest, ValueError):
    """``timeout()`` is not a positive, finite number of seconds (or ``None`` for the default)."""


class InvalidGrpcResponse(GrpcClientError, ValueError):
    """A response made by code, not by a call, that could not be one: a bad part, or not a response.

    Raised by ``GrpcResponse(...)`` for a status that is not a ``grpc.StatusCode``
    and the like, and by the client when a ``GrpcCallStage``'s ``answer`` or
    ``finished`` returns something else than a ``GrpcResponse``. Metadata that is
    not ``(key, value)`` pairs is ``InvalidGrpcMetadata``.
    """


class UnknownGrpcClient(GrpcClientError, LookupError):
    """The client registry has no service of that name; the message lists the names it has."""


class UnknownGrpcMethod(GrpcClientError, LookupError):
    """The client cannot tell what ``/service/method`` returns, so it cannot decode a reply."""


class UnsupportedGrpcMethod(GrpcClientError):
    """The method's call kind does not fit the way it was called, and the message names the way.

    A server- or bidirectional-streaming method through ``call()`` (open it
    with ``stream()``), a unary or client-streaming one through ``stream()``
    (``call()`` returns its one reply), a request of one message for a method
    that takes a stream (extend ``StreamingGrpcRequest``) or the reverse.
    """


class ServiceDiscoveryError(Exception):
    """Base class, so callers can catch every discovery failure in one clause."""


class InvalidServiceAddress(ServiceDiscoveryError, ValueError):
    """A registry holds an address for a service that cannot work; the message names its source."""


class InvalidServiceRegistry(ServiceDiscoveryError, ValueError):
    """A registry was built with arguments it could never use; raised by its constructor."""


class ServiceNotFound(ServiceDiscoveryError, LookupError):
    """A registry has no address for a service; the message names where it looked."""


class GrpcObservabilityError(Exception):
    """Base class, so a service's setup can catch every such mistake in one clause."""


class InvalidOpenTelemetrySetup(GrpcObservabilityError, ValueError):
    """OpenTelemetry tracing or metrics asked for with an argument that cannot provide them.

    A ``tracer_provider`` that is not an ``opentelemetry.trace.TracerProvider``,
    a ``meter_provider`` that is not an ``opentelemetry.metrics.MeterProvider``,
    or a ``propagator`` that is not an
    ``opentelemetry.propagators.textmap.TextMapPropagator``.
    """


class InvalidPrometheusMetrics(GrpcObservabilityError, ValueError):
    """Prometheus metrics asked for with an argument that cannot make them.

    A ``registry`` that is not a ``prometheus_client.CollectorRegistry``, a
    ``namespace`` that is not a metric-name prefix (``[a-zA-Z_][a-zA-Z0-9_]*``,
    or empty), or ``buckets`` that are not increasing numbers of seconds.
    """


class PrometheusMetricsConflict(GrpcObservabilityError, ValueError):
    """The registry already holds these metric names, in a shape that cannot be shared.

    The same metrics asked for again (a second client, stage or interceptor,
    a reloaded module) are shared, never registered twice; this is raised
    instead when they were made with other buckets, or when something else
    (py-grpc-prometheus, say) registered the same names. Use another registry
    or namespace.
    """


class InvalidTraceId(ValueError):
    """Code opened a context with a trace id that could not travel as gRPC metadata."""

    def __init__(self, trace_id: object) -> None:
        super().__init__(
            f"trace id {trace_id!r} cannot travel as gRPC metadata: an id given in code "
            "must be a non-empty str of printable ASCII, with no space at either end"
        )


class InvalidCorrelationId(ValueError):
    """Code opened a context with a correlation id that could not travel as gRPC metadata."""

    def __init__(self, correlation_id: object) -> None:
        super().__init__(
            f"correlation id {correlation_id!r} cannot travel as gRPC metadata: an id given "
            "in code must be a non-empty str of printable ASCII, with no space at either end"
        )


class InvalidUserId(ValueError):
    """Code opened a context with a user id that could not travel as gRPC metadata."""

    def __init__(self, user_id: object) -> None:
        super().__init__(
            f"user id {user_id!r} cannot travel as gRPC metadata: an id given in code "
            "must be a non-empty str of printable ASCII, with no space at either end"
        )
