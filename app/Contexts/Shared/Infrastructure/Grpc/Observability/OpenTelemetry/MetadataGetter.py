from __future__ import annotations

from collections.abc import Mapping

from opentelemetry.propagators.textmap import Getter

Carrier = Mapping[str, str]


class MetadataGetter(Getter[Carrier]):
    """How a propagator reads a call's metadata, taken as the text pairs it holds.

    ``ServerTracing`` gives it the call's metadata as a mapping of each text
    key to its first value (binary ``-bin`` values are no propagator's).
    """

    def get(self, carrier: Carrier, key: str) -> list[str] | None:
        value = carrier.get(key)
        return None if value is None else [value]

    def keys(self, carrier: Carrier) -> list[str]:
        return list(carrier)
