from typing import TypeGuard


class SendableId:
    """Which ids the service's own code may give ``RequestContext.scope``: any that can travel.

    Code is trusted to name its own jobs, tests and messages (``"t-1"``, ``"job 42"``), so
    an id given in code needs only be something gRPC metadata and HTTP headers carry
    unchanged: a non-empty ``str`` of printable ASCII (gRPC allows bytes 0x20 to 0x7E in
    a metadata value; grpc-core's ``validate_metadata.cc``), with no space at either end.
    HTTP/2 forbids a field value that starts or ends with a space (RFC 9113, section
    8.2.1) and proxies strip them, so such an id would not match itself in the next
    service's logs; it is refused rather than trimmed. Ids from untrusted headers keep
    the stricter rules of ``TraceId`` and ``UserId`` (see ``IncomingIds``). An id that is
    sendable but too long for them is sent, but a next service of this library does not
    keep it, and a very long one can make a call's metadata too large (``MetadataSize``).
    """

    @staticmethod
    def is_valid(candidate: object) -> TypeGuard[str]:
        return (
            isinstance(candidate, str)
            and candidate.isascii()
            and candidate.isprintable()
            and candidate != ""
            and candidate.strip(" ") == candidate
        )
