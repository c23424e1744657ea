import math
from numbers import Real


class TimeoutSeconds:
    """The one rule for what counts as a timeout, shared by requests and client settings.

    gRPC turns a zero, negative, NaN or infinite timeout into odd behaviour (an
    instant DEADLINE_EXCEEDED, or no deadline at all); ``True`` is an int to
    Python but never what was meant. Ints and floats take the fast path since
    that check runs on every call.
    """

    @staticmethod
    def parse(value: object, error: type[Exception], what: str) -> float:
        if type(value) is float or type(value) is int:
            if 0 < value < math.inf:
                return value
        elif isinstance(value, Real) and not isinstance(value, bool):
            seconds = float(value)
            if 0 < seconds < math.inf:
                return seconds
        raise error(f"{what} must be a positive, finite number of seconds, got {value!r}")
