import threading

from grpc_request_client.resilience import SystemClock


class GatedClock(SystemClock):
    """The real clock, except that its first sleep waits until the test lets it go on.

    A call that failed its first attempt then sits in its retry backoff, holding
    its bulkhead slot, for as long as the test needs, outside grpc. Later sleeps
    (a forked child's, say) are real ones.
    """

    def __init__(self) -> None:
        self.sleeping = threading.Event()
        self.go_on = threading.Event()

    def sleep(self, seconds: float) -> None:
        if self.sleeping.is_set():
            super().sleep(seconds)
            return
        self.sleeping.set()
        self.go_on.wait(30)
