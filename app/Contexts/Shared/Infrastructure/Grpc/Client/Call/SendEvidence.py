import grpc

_UNAVAILABLE = grpc.StatusCode.UNAVAILABLE

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
    downstream failure in words of its own is not mistaken for this client; one
    that forwards grpc's details verbatim would be, unless it sent metadata, and
    metadata always comes from a server: ``metadata_received`` (any initial or
    trailing metadata on the failure) rules the proof out.
    """

    @staticmethod
    def proves_never_sent(
        code: grpc.StatusCode, details: str, *, metadata_received: bool = False
    ) -> bool:
        if metadata_received:
            return False
        return any(
            code is known_code and details.startswith(opening)
            for known_code, opening in _NEVER_SENT
        )
