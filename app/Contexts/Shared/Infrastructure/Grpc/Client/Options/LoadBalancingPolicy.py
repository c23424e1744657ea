import json
from typing import Any, TypeVar

from app.Contexts.Shared.Infrastructure.Grpc.Client.Errors.InvalidGrpcClientSettings import (
    InvalidGrpcClientSettings,
)

POLICIES = ("pick_first", "round_robin")
SERVICE_CONFIG = "grpc.service_config"
LB_POLICY_NAME = "grpc.lb_policy_name"

_Value = TypeVar("_Value")


class LoadBalancingPolicy:
    """Carries the ``load_balancing`` setting to grpc's own balancer, as a service config.

    grpc already resolves every address of a target (each entry of an ``ipv4:``
    list, each record of a ``dns:///`` name) and balances calls over them; it only
    needs to be told to use round_robin instead of pick_first. The service config
    is a single JSON channel option that callers also use for other things
    (per-method timeouts and message limits), so the policy is merged into theirs
    rather than replacing it. grpc lets a service config win silently over
    ``grpc.lb_policy_name``, so any disagreement between the three is refused
    here instead of one of them quietly losing. A malformed service config is
    refused too: grpc would accept the channel and fail every call on it; and so
    is a per-method ``timeout``, which grpc applies as the lesser of it and a
    call's own deadline.
    """

    @staticmethod
    def parse(value: object) -> str | None:
        if value is None:
            return None
        if isinstance(value, str) and value.lower() in POLICIES:
            return value.lower()
        raise InvalidGrpcClientSettings(
            f"load_balancing must be None or one of {list(POLICIES)}, got {value!r}"
        )

    @classmethod
    def apply(
        cls, policy: str | None, options: tuple[tuple[str, _Value], ...]
    ) -> tuple[tuple[str, _Value | str], ...]:
        """``options`` with ``policy`` folded into their service config (added if absent)."""
        if policy is not None and policy not in POLICIES:
            raise InvalidGrpcClientSettings(
                f"load_balancing must be None or one of {list(POLICIES)}, got {policy!r}"
            )
        given = [value for key, value in options if key == SERVICE_CONFIG]
        if len(given) > 1:
            raise InvalidGrpcClientSettings(f"{SERVICE_CONFIG} is given more than once in options")
        config = cls._parse_service_config(given[0]) if given else {}
        if policy is None:
            return options
        cls._refuse_other_lb_policy_names(policy, options)
        merged = json.dumps(cls._with_policy(config, policy))
        if not given:
            return (*options, (SERVICE_CONFIG, merged))
        return tuple(
            (key, merged) if key == SERVICE_CONFIG else (key, value) for key, value in options
        )

    @staticmethod
    def _parse_service_config(value: object) -> dict[str, Any]:
        try:
            config = json.loads(value) if isinstance(value, str) else None
        except ValueError:
            config = None
        if not isinstance(config, dict):
            raise InvalidGrpcClientSettings(
                f"{SERVICE_CONFIG} must be a JSON object in a str, got {value!r}"
            )
        LoadBalancingPolicy._refuse_method_timeouts(config)
        return config

    @staticmethod
    def _refuse_method_timeouts(config: dict[str, Any]) -> None:
        """A methodConfig ``timeout`` silently cuts every call's own deadline short.

        grpc applies the lesser of the two (its doc/service_config.md).
        """
        entries = config.get("methodConfig", [])
        if isinstance(entries, list) and any(
            isinstance(entry, dict) and "timeout" in entry for entry in entries
        ):
            raise InvalidGrpcClientSettings(
                f"a methodConfig timeout in {SERVICE_CONFIG} would cut each request's own "
                "timeout short; use default_timeout= and the requests' timeout() instead"
            )

    @staticmethod
    def _refuse_other_lb_policy_names(policy: str, options: tuple[tuple[str, object], ...]) -> None:
        for key, value in options:
            if key == LB_POLICY_NAME and value != policy:
                raise InvalidGrpcClientSettings(
                    f"load_balancing={policy!r} contradicts {LB_POLICY_NAME}={value!r} in options"
                )

    @staticmethod
    def _with_policy(config: dict[str, Any], policy: str) -> dict[str, Any]:
        named = LoadBalancingPolicy._policies_named_in(config)
        if named and named != [policy]:
            raise InvalidGrpcClientSettings(
                f"load_balancing={policy!r} contradicts the {SERVICE_CONFIG} in options, "
                f"which asks for {named}"
            )
        if named:
            return config
        return {**config, "loadBalancingConfig": [{policy: {}}]}

    @staticmethod
    def _policies_named_in(config: dict[str, Any]) -> list[str]:
        """Every policy a service config names, in either of the two fields grpc reads."""
        entries = config.get("loadBalancingConfig", [])
        if not isinstance(entries, list) or not all(
            isinstance(entry, dict) and len(entry) == 1 for entry in entries
        ):
            raise InvalidGrpcClientSettings(
                f"loadBalancingConfig in {SERVICE_CONFIG} must be a list of {{policy: config}}"
            )
        named = list(dict.fromkeys(name for entry in entries for name in entry))
        legacy = config.get("loadBalancingPolicy")
        if isinstance(legacy, str) and legacy.lower() not in named:
            named.append(legacy.lower())
        return named
