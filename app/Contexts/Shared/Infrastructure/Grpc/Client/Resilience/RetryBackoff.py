from tenacity import RetryCallState, Retrying, wait_exponential_jitter

from app.Contexts.Shared.Infrastructure.Grpc.Client.RetryPolicy import RetryPolicy

_NEVER_RUN = Retrying()  # a RetryCallState names its owner; the strategy only reads the number


class RetryBackoff:
    """How long to wait after failed attempt ``number``, drawn by tenacity's exponential jitter.

    ``initial_backoff * multiplier ** (number - 1)`` plus up to ``jitter``
    seconds, capped at ``max_backoff`` (tenacity's ``wait_exponential_jitter``).
    Only the strategy is tenacity's: whether to retry at all, and whether the
    wait still fits before the deadline, are decided by ``CallEngine``, once
    for ``call`` and ``call_async``.
    """

    @staticmethod
    def seconds(policy: RetryPolicy, number: int) -> float:
        strategy = wait_exponential_jitter(
            multiplier=policy.initial_backoff,
            max=policy.max_backoff,
            exp_base=policy.multiplier,
            jitter=policy.jitter,
        )
        state = RetryCallState(_NEVER_RUN, None, (), {})
        state.attempt_number = number
        return float(strategy(state))
