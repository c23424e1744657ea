import grpc


class SendEvidence:
    """Placeholder until the evidence study lands: a pick that failed never left the client."""

    @staticmethod
    def never_sent(code: grpc.StatusCode, details: str) -> bool:
        return code is grpc.StatusCode.UNAVAILABLE and details.startswith(
            "failed to connect to all addresses"
        )
