from numbers import Real

# grpc-core turns a deadline into 64-bit nanoseconds from now; far beyond this it overflows
# and the call fails at once. A little over three years is more than any call should wait.
MAX_SECONDS = 1e8


class TimeoutSeconds:
    """The one rule for what counts as a timeout, shared by requests and client settings.

    gRPC turns a zero, negative, NaN, infinite or huge timeout into odd behaviour
    (an instant DEADLINE_EXCEEDED, or no deadline at all); ``True`` is an int to
    Python but never what was meant. Ints and floats take the fast path since
    that check runs on every call.
    """

    @staticmethod
    def parse(value: object, error: type[Exception], what: str) -> float:
        if type(value) is float or type(value) is int:
            if 0 < value <= MAX_SECONDS:
                return value
        elif isinstance(value, Real) and not isinstance(value, bool):
            seconds = float(value)
            if 0 < seconds <= MAX_SECONDS:
                return seconds
        raise error(
            f"{what} must be a number of seconds above 0 and at most {MAX_SECONDS:.0e}, "
            f"got {value!r}"
        )
