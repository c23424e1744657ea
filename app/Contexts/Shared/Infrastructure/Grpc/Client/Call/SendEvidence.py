import grpc

from app.Contexts.Shared.Infrastructure.Grpc.Client.GrpcResponse import GrpcResponse

_UNAVAILABLE = grpc.StatusCode.UNAVAILABLE
_DEADLINE_EXCEEDED = grpc.StatusCode.DEADLINE_EXCEEDED
# Failures after which the server may have done the work, unless proven never sent.
_AMBIGUOUS = frozenset({_UNAVAILABLE, _DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED})
# grpc-core's words for a reply it received and refused, inside "Stream removed (...)" on
# grpcio 1.85.3 (its message-size filter):
# the server did the work, the client could not read what it answered.
_REFUSED_REPLY = (grpc.StatusCode.RESOURCE_EXHAUSTED, "CLIENT: Received message larger than max")

# How grpc's own details begin for a failure raised before an attempt's request was
# written to any connection, with the code grpc gives it. Each was seen on grpcio 1.85.3
# (docs/resilience.md has the table) and is grpc-core's or grpcio's text:
_NEVER_SENT: tuple[tuple[grpc.StatusCode, str], ...] = (
    # pick_first's TransientFailurePicker (src/core/load_balancing/pick_first/pick_first.cc):
    # no connection could be made, so the call failed at the pick, before any stream existed.
    (_UNAVAILABLE, "failed to connect to all addresses"),
    # round_robin's TransientFailurePicker (src/core/load_balancing/round_robin/round_robin.cc).
    (_UNAVAILABLE, "connections to all backends failing"),
    # Either policy given no address at all.
    (_UNAVAILABLE, "empty address list"),
    # A resolver that found nothing: the event-engine DNS resolver
    # (src/core/resolver/dns/event_engine/event_engine_client_channel_resolver.cc), then
    # the c-ares and native ones of older grpc.
    (_UNAVAILABLE, "errors resolving "),
    (_UNAVAILABLE, "DNS resolution failed for "),
    # Call credentials failing (src/core/credentials/call/plugin/plugin_credentials.cc):
    # they run before the request's headers go to the transport.
    (_UNAVAILABLE, "Getting metadata from plugin failed with error: "),
    # grpcio's blocking API, before it creates the call (grpc/_channel.py).
    (grpc.StatusCode.INTERNAL, "Exception serializing request!"),
    # A target grpc could not parse: a lame channel, which has no transport at all.
    (grpc.StatusCode.UNKNOWN, "Failed to create channel to '"),
)


class SendEvidence:
    """Whether a failed attempt is *proven* never to have left the client.

    Only then may a request that is not idempotent be sent again: UNAVAILABLE
    alone does not say so, since a server that did the work and then crashed, a
    GOAWAY or a proxy's reset all end in UNAVAILABLE too. The proof is grpc's own
    wording for a failure raised before any stream was written: no connection
    could be made, no address was resolved, call credentials failed. Everything
    else, unknown texts included, is not proof. A refusal by this client itself
    (open circuit, full bulkhead) needs no text: its ``attempts()`` is 0.

    What grpc does not tell a Python caller, and so is never proof here:

    - ``debug_error_string()``: on grpcio 1.85 it is ``"<CODE>:<details>"``, and
      older releases said "Error received from peer" even for local failures.
    - a stream refused by the server (GOAWAY above its last-stream-id, RST_STREAM
      REFUSED_STREAM): unprocessed by HTTP/2's rules (RFC 9113, 8.7), but the
      same "GOAWAY received" text also ends streams the server accepted before
      closing (measured: keepalive ``too_many_pings``). grpc-core knows which is
      which per stream and retries the refused ones itself when
      ``grpc.enable_retries`` is on (gRFC A6, transparent retries;
      src/core/client_channel/retry_filter_legacy_call_data.cc).

    The texts are matched at the start of the details, so a server that wraps a
    downstream failure in words of its own is not mistaken for this client. One
    that forwards grpc's details verbatim (a relay) says the same words, so two
    more facts rule the proof out: ``metadata_received`` (any initial or
    trailing metadata on the failure: metadata always comes from a server) and
    ``connected`` (the channel is READY after the failure: a relay can only
    answer over a live connection, while grpc fails a call at the pick only
    when it has none).

    One failure without a text is proof too: DEADLINE_EXCEEDED for a call that
    ``waited_for_ready`` on a channel still not connected. Such a call waits in
    the channel for a connection (gRFC A10's wait-for-ready) and is only
    written to one once it is READY.
    """

    @staticmethod
    def proves_never_sent(
        code: grpc.StatusCode,
        details: str,
        *,
        metadata_received: bool = False,
        connected: bool = False,
        waited_for_ready: bool = False,
    ) -> bool:
        if metadata_received or connected:
            return False
        if code is _DEADLINE_EXCEEDED:
            return waited_for_ready
        return any(
            code is known_code and details.startswith(opening)
            for known_code, opening in _NEVER_SENT
        )

    @staticmethod
    def judged(response: GrpcResponse, *, connected: bool, waited_for_ready: bool) -> GrpcResponse:
        """A failed attempt's response, marked as never sent, or as of unknown outcome.

        Unknown: the request may have reached the server and been done there,
        and nothing said how it went (UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED),
        or the server answered and grpc refused the reply (over the receive
        limit). A server's own error code is an answer: its outcome is known.
        """
        code, details = response.status_code(), response.details()
        never_sent = SendEvidence.proves_never_sent(
            code,
            details,
            metadata_received=bool(response.metadata().pairs()),
            connected=connected,
            waited_for_ready=waited_for_ready,
        )
        if never_sent:
            return response.with_never_sent()
        refused_reply = code is _REFUSED_REPLY[0] and _REFUSED_REPLY[1] in details
        if code in _AMBIGUOUS or refused_reply:
            return response.with_outcome_unknown()
        return response
